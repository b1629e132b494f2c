"""What the Classify page's helpers (results_actions, add_to_dataset_menu) use of the page
(gui.classify.classify_view.ClassifyView, which builds them). A Protocol: they need not
import the module that imports them."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtWidgets import QAbstractItemView

from core.infer.results import ClassifiedImage
from gui.classify.classify_page_model import ClassifyPageModel
from gui.classify.results_filter import ResultsFilterModel
from gui.classify.results_model import ResultsModel
from gui.classify.results_view import UnreadableFiles
from gui.widgets.thumbnail_cache import ThumbnailCache


class ResultsPage(Protocol):
    """The Classify page, a QWidget (its helpers' dialogs open over it)."""

    page: ClassifyPageModel
    results_view: QAbstractItemView
    results_model: ResultsModel
    proxy: ResultsFilterModel
    thumbnails: ThumbnailCache
    unreadable_files: UnreadableFiles
    model_info: dict[str, Any] | None

    def model_path(self) -> str: ...

    def shown_results(self) -> list[ClassifiedImage]: ...

    def source_folder(self) -> str: ...
