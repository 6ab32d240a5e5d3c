"""Install-time check: builds the spaCy pipeline and finds the encoder's weights."""

from runner_up.nlu.encoder import encoder_dir
from runner_up.nlu.spacy_nlp import build_pipeline


def main() -> None:
    nlp = build_pipeline()
    lemmas = [t.lemma_ for t in nlp("they rejected me")]
    print(f"spaCy pipeline ready: {nlp.pipe_names}, lemmas of 'they rejected me': {lemmas}")
    print(f"sentence encoder weights: {encoder_dir()}")


if __name__ == "__main__":
    main()
