"""The content calendar: plan items and their states (``items``), the platforms' rules a draft must meet
(``rules``) and the Chinese calendar of festivals and shopping days (``festivals``); docs/calendar.md."""
