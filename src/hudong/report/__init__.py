"""report stage: a self-contained offline HTML report and its PDF, in Chinese or English.

from hudong.report import write_report
write_report(ws, "out/", lang="zh")   # {"html": Path, "pdf": Path}
"""

from hudong.report.writer import write_report

__all__ = ["write_report"]
