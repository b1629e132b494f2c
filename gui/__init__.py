"""Loupe's Qt user interface (PySide6 + pyqtgraph). Widgets show plain data; no training logic here."""
