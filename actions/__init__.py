"""Runner-Up's custom actions (rasa-sdk). `rasa run actions` imports this package."""

from actions.feelings import ActionReflectFeeling

__all__ = ["ActionReflectFeeling"]
