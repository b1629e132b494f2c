"""One image shown large with its prediction and top-5 class probabilities.

Shared by the training dashboard (validation samples) and the classification results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QImage, QImageReader, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.events import PredictionSample
from gui.widgets.accessible import describe
from gui.widgets.prediction_model import RIGHT_COLOR, WRONG_COLOR, class_label, numpy_to_qimage
from gui.widgets.why_job import WhyResult
from gui.widgets.why_toggle import WhyToggle

MAX_SIDE = 2048  # px: a 12 MP photo is decoded at this size, not in full
ProbabilityRole = Qt.ItemDataRole.UserRole + 1  # float 0..1 on the class item

ImageSource = np.ndarray | QImage | QPixmap | str | Path


def load_image(source: ImageSource) -> tuple[QImage, str]:
    """(image, error). A path is read with its EXIF orientation applied and at most MAX_SIDE."""
    if isinstance(source, QPixmap):
        return source.toImage(), ""
    if isinstance(source, QImage):
        return source, ""
    if isinstance(source, np.ndarray):
        return numpy_to_qimage(source), ""
    reader = QImageReader(str(source))
    reader.setAutoTransform(True)  # phone photos are stored sideways with an EXIF tag
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > MAX_SIDE:
        reader.setScaledSize(size.scaled(MAX_SIDE, MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return image, "" if not image.isNull() else reader.errorString()


def saved_model_words(epoch: int | None) -> str:
    """Where "Why?"'s numbers come from: the model file it explains."""
    when = f" (epoch {epoch + 1}, its best)" if epoch is not None else ""
    return f"From the saved model{when}, which the heat map explains."


def named_top_k(sample: PredictionSample, class_names: list[str]) -> list[tuple[str, float]]:
    return [(class_label(class_names, index), prob) for index, prob in sample.top_k]


class _ScaledImage(QLabel):
    """Keeps the image as large as the space allows, aspect ratio kept."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailImage")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(240, 240)
        # Ignored: the pixmap must follow the dialog's size, never push it bigger.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.source = QPixmap()

    def set_image(self, image: QImage) -> None:
        self.source = QPixmap.fromImage(image)
        self._rescale()

    def set_error(self, text: str) -> None:
        self.source = QPixmap()
        self.setPixmap(QPixmap())
        self.setText(text)

    def sizeHint(self) -> QSize:
        return QSize(520, 480)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self.source.isNull():
            return
        target = self.source.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        # Small training thumbnails are enlarged pixel by pixel: blur would hide what the model saw.
        upscale = target.width() > 2 * self.source.width()
        mode = (
            Qt.TransformationMode.FastTransformation
            if upscale
            else Qt.TransformationMode.SmoothTransformation
        )
        self.setPixmap(self.source.scaled(target, Qt.AspectRatioMode.KeepAspectRatio, mode))


class ImageDetailDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageDetailDialog")
        self.image = _ScaledImage(self)

        self.title = QLabel(self)
        self.title.setObjectName("detailTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)

        self.path_label = QLabel(self)
        self.path_label.setObjectName("detailPath")
        self.path_label.setProperty("role", "muted")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.verdict = QLabel(self)
        self.verdict.setObjectName("detailVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        # Whose numbers the verdict and the table are: a Train-page tile's come from the
        # epoch's validation pass, "Why?" shows the saved model's with its heat map.
        self.source = QLabel(self)
        self.source.setObjectName("detailSource")
        self.source.setProperty("role", "muted")
        self.source.setWordWrap(True)
        self.source.hide()
        self._numbers: tuple[list[tuple[str, float]], str | None, str] = ([], None, "")

        self.top_k_table = QTableWidget(0, 2, self)
        self.top_k_table.setObjectName("detailTopK")
        self.top_k_table.setHorizontalHeaderLabels(["class", "probability"])
        self.top_k_table.verticalHeader().hide()
        self.top_k_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.top_k_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        describe(self.top_k_table, "Most likely classes", "Return on a class: its heat map")
        self.top_k_table.setTabKeyNavigation(False)  # Tab goes on to "Why?"
        header = self.top_k_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, 130)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        self.why = WhyToggle(self.image.set_image, self)
        self.why.numbersShown.connect(self._on_why_numbers_shown)
        self.top_k_table.cellClicked.connect(
            lambda row, _col: self.why.explain_class(self.top_k_table.item(row, 0).text())
        )
        self.top_k_table.activated.connect(  # Return or a double-click, as a click
            lambda index: self.why.explain_class(self.top_k_table.item(index.row(), 0).text())
        )

        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.path_label)
        side.addSpacing(4)
        side.addWidget(self.verdict)
        side.addWidget(self.source)
        side.addSpacing(8)
        side.addWidget(QLabel("Most likely classes:", self))
        side.addWidget(self.top_k_table)
        side.addWidget(self.why.widget)
        side.addStretch(1)
        side.addWidget(buttons)
        side_widget = QWidget(self)
        side_widget.setLayout(side)
        side_widget.setFixedWidth(320)

        layout = QHBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(side_widget)
        self.resize(900, 560)

    def show_prediction(
        self,
        image_or_path: ImageSource,
        title: str,
        top_k: list[tuple[str, float]],
        true_label: str | None = None,
        source: str = "",
    ) -> None:
        """Fill the dialog and show it (non-modal; calling again replaces the content).
        `source` says where the numbers come from ("From the validation pass after epoch
        5."), when the dialog's "Why?" may explain another model's."""
        image, error = load_image(image_or_path)
        if error or image.isNull():
            self.image.set_error(f"Cannot show this image:\n{error or 'unknown format'}")
        else:
            self.image.set_image(image)
        self.setWindowTitle(title)
        self.title.setText(title)
        describe(self.image, f"Image {title}")
        path = str(image_or_path) if isinstance(image_or_path, (str, Path)) else ""
        self.set_path(path)
        self._numbers = (list(top_k), true_label, source)
        self.why.set_image(path, image)
        self._show_numbers(list(top_k), source)
        self.show()
        self.raise_()
        self.activateWindow()

    def set_model(self, model_path: str) -> None:
        """The model whose predictions are shown (a run folder): "Why?" explains with it."""
        self.why.set_model(model_path)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.why.button.setChecked(False)
        super().closeEvent(event)

    def set_path(self, path: str) -> None:
        """The file behind the image, elided in the middle (the file name is the useful end)."""
        metrics = self.path_label.fontMetrics()
        self.path_label.setText(metrics.elidedText(path, Qt.TextElideMode.ElideMiddle, 300))
        self.path_label.setToolTip(path)
        self.path_label.setVisible(bool(path))

    def show_sample(
        self, sample: PredictionSample, class_names: list[str], epoch: int | None = None
    ) -> None:
        """A training validation sample: its thumbnail (or the file, when it still exists);
        `epoch` (0-based): the validation pass it comes from."""
        on_disk = Path(sample.path).is_file()
        self.show_prediction(
            sample.path if on_disk else sample.image,
            Path(sample.path).name,
            named_top_k(sample, class_names),
            class_label(class_names, sample.true_index),
            f"From the validation pass after epoch {epoch + 1}." if epoch is not None else "",
        )
        self.set_path(sample.path)

    def _show_numbers(self, top_k: list[tuple[str, float]], source: str) -> None:
        true_label = self._numbers[1]
        self.verdict.setText(self._verdict_html(top_k, true_label))
        self._fill_table(top_k, true_label)
        self.source.setText(source)
        self.source.setVisible(bool(source))

    def _on_why_numbers_shown(self, result: WhyResult | None) -> None:
        """With a heat map, the explained model's numbers; without, the prediction's again."""
        top_k, _true_label, source = self._numbers
        if result is not None and result.top_k:
            top_k, source = list(result.top_k), saved_model_words(result.model_epoch)
        self._show_numbers(top_k, source)

    @staticmethod
    def _verdict_html(top_k: list[tuple[str, float]], true_label: str | None) -> str:
        if not top_k:
            return "No prediction."
        predicted, probability = top_k[0]
        text = f"Predicted: <b>{predicted}</b> ({probability * 100:.1f} %)"
        if true_label is not None:
            right = predicted == true_label
            color = (RIGHT_COLOR if right else WRONG_COLOR).name()
            word = "right" if right else "wrong"
            text += (
                f'<br>True: <b>{true_label}</b> — <span style="color:{color};"><b>{word}</b></span>'
            )
        return text

    def _fill_table(self, top_k: list[tuple[str, float]], true_label: str | None) -> None:
        table = self.top_k_table
        table.setRowCount(len(top_k))
        for row, (name, probability) in enumerate(top_k):
            item = QTableWidgetItem(name)
            item.setData(ProbabilityRole, float(probability))
            item.setToolTip(name)
            if name == true_label:
                font = QFont(table.font())
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(f"{name} (the true class)")
            table.setItem(row, 0, item)
            bar = QProgressBar(table)
            bar.setRange(0, 1000)
            bar.setValue(round(probability * 1000))
            bar.setFormat(f"{probability * 100:.1f} %")
            bar.setTextVisible(True)
            describe(bar, f"Probability of {name}")
            table.setCellWidget(row, 1, bar)
        # As tall as its rows: empty table space under five rows looks like missing data.
        table.ensurePolished()  # its frame is style.qss's (the focus frame's), not Fusion's
        height = table.horizontalHeader().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(height)

    def top_k_rows(self) -> list[tuple[str, float]]:
        """What the table shows, for tests and accessibility tools."""
        table = self.top_k_table
        return [
            (table.item(r, 0).text(), table.item(r, 0).data(ProbabilityRole))
            for r in range(table.rowCount())
        ]


def _demo() -> ImageDetailDialog:
    from gui.demo.demo_data import demo_class_names, demo_predictions

    names = demo_class_names(11)
    predictions = demo_predictions(names, epoch=1)
    wrong = next(s for s in predictions.samples if s.true_index != s.pred_index)
    dialog = ImageDetailDialog()
    dialog.show_sample(wrong, names)
    return dialog


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo

    run_demo(_demo, "ImageDetailDialog demo")
