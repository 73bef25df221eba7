"""The decision-support summary of a family: built once as plain data (`document`), shown as
a page and exported as PDF and Word with the same content and structure."""
