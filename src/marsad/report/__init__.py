"""Reports of one analysed article for people: a terminal report and a standalone HTML page."""
