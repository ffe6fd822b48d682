"""Reads about notices, one module per concern: ``state`` (what a notice shows, the list, what can be done to it),
``progress`` (how far its sends got, over time), ``messages`` (recipients, failures, retries), ``dashboard`` (the
home page) and ``audit`` (its trail: editors, declines). No writes.

A campaign never stores how far its sends got: nothing below pushes state up (no signal, no import from
``notifications`` into ``campaigns``); progress is read from the sends' message rows.
"""
