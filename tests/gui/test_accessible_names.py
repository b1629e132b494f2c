"""Every control of the window and its dialogs has a name a screen reader can say (Orca and
NVDA read Qt's accessible names): its text, a linked label, or an accessible name, never
only an icon, a "…", a picture or a plot."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

from PySide6.QtCore import Qt

from core.infer.results import ClassifiedImage
from tests.gui.accessibility_helpers import control_name, unnamed_controls
from tests.gui.helpers import make_window, shapes_dataset, trained_run_dir


def test_every_control_of_every_page_has_a_name(qtbot, tmp_path, shapes_dataset):
    window = make_window(qtbot, tmp_path)
    window.load_dataset(str(shapes_dataset))
    qtbot.waitUntil(lambda: not window.dataset_view.is_scanning(), timeout=20_000)
    assert unnamed_controls(window) == []


def test_fields_are_named_by_their_labels_and_settings(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.train_page.settings_panel
    # The label beside a field, also where the field sits in a row with its "…" button.
    assert control_name(window.dataset_view.path_edit) == "Dataset folder:"
    # In a composite (FolderChooser) the label is no sibling, which is where Qt looks: its
    # words become the accessible name (and a combo box's description, read on Linux).
    assert control_name(window.classify_view.folder_edit) == "Images"
    combo = window.classify_view.model_combo
    assert control_name(combo) == "Model" == combo.accessibleDescription()
    assert control_name(panel.weightsFileEdit) == "Weights file"
    assert control_name(panel.weights_browse) == "Choose a weights file"
    # Settings are named by their metadata's label (core.train.config), tooltip as description.
    assert panel.learningRateSpin.accessibleName() == "Learning rate"
    assert panel.optimizerCombo.accessibleName() == "Optimizer"
    assert panel.archCombo.accessibleName() == "Architecture"
    # Pictures and plots say what they show.
    assert window.nav.accessibleName() == "Pages"
    assert window.train_page.dashboard.progress_bar.accessibleName() == "Training progress"
    assert window.train_page.dashboard.plots.loss_plot.accessibleName() == "Loss per epoch"


def test_tiles_and_cells_read_as_sentences(qtbot, tmp_path):
    from gui.demo.demo_data import demo_class_names, demo_confusion, demo_predictions

    window = make_window(qtbot, tmp_path)
    names = demo_class_names(3)
    dashboard = window.train_page.dashboard
    dashboard.predictions.set_predictions(demo_predictions(names, count=4))
    tile = dashboard.grid.model().index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert tile.startswith("img_0000.jpg: true ") and "predicted" in tile and "%" in tile
    dashboard.matrix.set_matrix(demo_confusion(3, 0.8, seed=1), names)
    cell = dashboard.matrix.model().index(0, 1).data(Qt.ItemDataRole.AccessibleTextRole)
    assert cell.startswith(f"true {names[0]} predicted as {names[1]}: ")
    results = window.classify_view
    top = (("cat", 0.42), ("dog", 0.4))
    results.results_model.set_root("/photos")
    results.results_model.append_results([ClassifiedImage("/photos/a/1.jpg", "cat", 0.42, top)])
    text = results.proxy.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert text == "a/1.jpg: cat 42 %, unsure"


def test_every_dialog_names_its_controls(qtbot, tmp_path, trained_run_dir):
    from gui.classify.sort_dialog import SortDialog
    from gui.data.doctor_review import DoctorDialog
    from gui.data.sample_dialog import SampleDatasetDialog
    from gui.runs.export_dialog import ExportDialog
    from gui.widgets.image_detail import ImageDetailDialog

    window = make_window(qtbot, tmp_path)
    detail = ImageDetailDialog(window)
    top = [("circle", 0.7), ("square", 0.3)]
    image = next((trained_run_dir.parents[1] / "shapes").rglob("*.png"))
    detail.show_prediction(str(image), "one.png", top, "circle")
    dialogs = [
        window.show_about(),
        window.show_quick_start(),
        window.show_shortcuts(),
        SampleDatasetDialog(window),
        DoctorDialog(str(tmp_path), parent=window),  # Check dataset…, not started
        ExportDialog(str(trained_run_dir), window),
        SortDialog([ClassifiedImage("/x/1.jpg", "cat", 0.9, (("cat", 0.9),))], parent=window),
        detail,
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        assert unnamed_controls(dialog) == [], dialog.objectName()
    assert detail.image.accessibleName() == "Image one.png"
    bars = [detail.top_k_table.cellWidget(r, 1) for r in range(2)]
    assert [b.accessibleName() for b in bars] == ["Probability of circle", "Probability of square"]
