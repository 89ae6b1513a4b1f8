"""Time: the academic calendar, due-item dispatch, APScheduler wiring and the simulated clock."""
