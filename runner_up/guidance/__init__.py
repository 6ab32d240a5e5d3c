"""The guidance engine: the catalogue of steps, the choice of the next one, templates and dates.

Plain functions over plain data; the actions call them and stay thin.
"""
