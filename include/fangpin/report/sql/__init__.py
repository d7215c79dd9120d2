"""The report's queries on the published marts, one file each (read by fangpin.report.data)."""
