"""Outcomes: where mentees stand after the round (employed, internship, own company, ...),
and the 6-month follow-up that asks them."""
