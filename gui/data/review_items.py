"""A dataset check's findings as the review list shows them: one ReviewItem per finding (a
group of copies, or one image), with the words for its kind and for each image's role, and
what Exclude and Move to class may do with it. Qt-free, no disk access."""

from __future__ import annotations

from dataclasses import dataclass, field

KIND_WORDS = {
    "leaks": "Leak across splits",
    "label_conflicts": "Same picture, different classes",
    "exact_duplicates": "Exact duplicates",
    "near_duplicates": "Near duplicates",
    "label_issues": "Probable label error",
    "outliers": "Outlier",
}
ONE_IMAGE_KINDS = ("label_issues", "outliers")  # resolved by any move of their image
MOVABLE_KINDS = (*ONE_IMAGE_KINDS, "label_conflicts")  # findings about a label
# The role each image plays in training: a file under train/ may be held out for validation,
# and "val/balls" beside train/balls/x.jpg read as a contradiction.
SPLIT_WORDS = {"train": "training", "val": "validation", "test": "test"}
HELD_OUT = ("val", "test")


@dataclass(frozen=True)
class ReviewItem:
    kind: str  # a key of KIND_WORDS
    paths: tuple[str, ...]
    labels: tuple[str, ...]  # the class of each path
    splits: tuple[str, ...] = ()  # the split of each path: train, val or test
    suggested: str = ""  # label issues: the class the out-of-sample model prefers
    score: float = 0.0
    number: int = field(default=-1, compare=False)  # its place in the report: rows keep it

    @property
    def key(self) -> str:
        """Stable name of the finding for reviewed.json."""
        try:
            return self.__dict__["_key"]  # asked of every finding each time the list is shown
        except KeyError:
            key = self.__dict__["_key"] = f"{self.kind}:" + "|".join(sorted(self.paths))
            return key

    def extra_copies(self) -> list[str]:
        """What "exclude" takes out, by what the images are, not by the row's kind:
        - copies with different classes: every copy (which label is right cannot be told;
          Move to class keeps the picture with the class you choose);
        - copies in train and in val/test: the train copies (val/test keep measuring
          honestly), from the leak row and the duplicates row alike;
        - otherwise all copies but the first; one image: itself."""
        if len(self.paths) < 2 or self.label_conflict:
            return list(self.paths)
        if self.spans_splits:
            return [p for p, s in zip(self.paths, self.splits, strict=True) if s == "train"]
        return list(self.paths[1:])

    @property
    def label_conflict(self) -> bool:
        return len(set(self.labels)) > 1

    @property
    def spans_splits(self) -> bool:
        return "train" in self.splits and any(s in HELD_OUT for s in self.splits)

    @property
    def movable(self) -> bool:
        """Move to class fits a finding about a label, not copies of one picture."""
        return self.kind in MOVABLE_KINDS

    def text(self) -> str:
        if self.suggested:
            return (
                f"{KIND_WORDS[self.kind]}: {self.paths[0]} is '{self.labels[0]}', "
                f"looks like '{self.suggested}' ({self.score:.2f})"
            )
        return f"{KIND_WORDS[self.kind]}: " + ", ".join(self.paths)


def items_from_report(report: dict) -> list[ReviewItem]:
    files = report.get("files", {})

    def label(path: str) -> str:
        return files.get(path, {}).get("label", "")

    def split(path: str) -> str:
        return files.get(path, {}).get("split", "")

    items: list[ReviewItem] = []
    for kind in ("leaks", "label_conflicts", "exact_duplicates", "near_duplicates"):
        for group in report.get(kind, []):
            items.append(
                ReviewItem(
                    kind,
                    tuple(group),
                    tuple(label(p) for p in group),
                    tuple(split(p) for p in group),
                    number=len(items),
                )
            )
    for kind in ("label_issues", "outliers"):
        for entry in report.get(kind, []):
            items.append(
                ReviewItem(
                    kind,
                    (entry["path"],),
                    (entry["label"],),
                    (split(entry["path"]),),
                    entry.get("suggested", ""),
                    float(entry["score"]),
                    len(items),
                )
            )
    return items
