-- Rasa's conversations (TRACKER_STORE_URL) live in their own database beside the progress store.
CREATE DATABASE conversations OWNER runner_up;
