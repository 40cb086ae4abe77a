"""Reliability: crashes under load, Bot API faults during pushes, hostile input."""
