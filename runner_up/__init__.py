"""Runner-Up: emotional support and next steps after a job rejection."""
