"""The lesson drawn where it happens: marks on the charts computed from the zoo's numbers."""

from __future__ import annotations

from tests.support.corpus import TINY_VARIANTS
from tests.support.app import charts, open_app


def test_compare_training_marks_the_epoch_where_validation_loss_turns_up(monkeypatch, tiny_zoo_path):
    from zoo.seed import SEED_HISTORY, SEED_NAME

    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training")
    import json

    import pandas as pd

    [turns] = [pd.concat(frames) for spec, frames in charts(at) if '"field": "turn_epoch"' in json.dumps(spec)]
    turns = turns.dropna(subset=["turn_epoch", "variant"]).drop_duplicates("variant").set_index("variant")
    loss = SEED_HISTORY["val_loss"]
    lowest = loss.index(min(loss)) + 1
    assert lowest < len(loss)  # the seed tutorial overfits: its validation loss turns up
    assert turns.loc[SEED_NAME, "turn_epoch"] == lowest
    assert set(turns.index) <= {SEED_NAME, *TINY_VARIANTS}  # one-epoch tiny variants cannot turn up


def test_loss_turns_is_the_lowest_validation_loss_when_later_epochs_rise():
    import pandas as pd

    from views.training import loss_turns

    rows = [{"variant": v, "metric": "loss", "split": "validation", "epoch": e, "value": x}
            for v, values in {"a": [0.6, 0.4, 0.5, 0.7], "b": [0.6, 0.5, 0.4]}.items()
            for e, x in enumerate(values, start=1)]
    turns = loss_turns(pd.DataFrame(rows))
    assert turns.to_dict("records") == [{"variant": "a", "turn_epoch": 2, "value": 0.4}]
