"""Training-dashboard widgets. Each takes plain data from `core.events` and runs on its own with
demo data: `python -m gui.widgets.metrics_plot`, `prediction_grid`, `confusion_matrix`,
`class_metrics_table`, `log_panel`, `image_detail`.

Nothing is imported here on purpose: importing one light widget must not pull in pyqtgraph."""
