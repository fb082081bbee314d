"""Reports: the PDF executive summary, and schedules that mail it (or a workbook, or an HTML summary) over SMTP."""
