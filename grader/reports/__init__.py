"""Ways to show a grade: the terminal now; HTML and Markdown reports build on the same results."""
