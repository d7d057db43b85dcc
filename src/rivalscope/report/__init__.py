"""Reports: the offline HTML report of a rivalry profile and its charts."""

from rivalscope.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
