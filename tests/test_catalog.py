"""The variant catalog: which models the zoo holds, and that each is built exactly as the seed."""

from __future__ import annotations

import pytest

from tests.support.corpus import REPO
from zoo import catalog
from zoo.catalog import CATALOG, SEED_RECIPE, TUNED_RECIPE, Recipe, VariantSpec

SIMPLERNN_IDS = [f"simplernn-{layers}x32-len{maxlen}" for layers in (1, 2, 4) for maxlen in (100, 200, 500)]

# The seed's model.summary(): Embedding(10000, 32) has 320,000 parameters, each
# SimpleRNN(32) 32*32 + 32*32 + 32 = 2,080, and Dense(1) 33.
EMBEDDING_PARAMS = 320_000
SIMPLERNN_PARAMS = 2_080
DENSE_PARAMS = 33


def test_catalog_ids_in_order():
    assert [spec.id for spec in CATALOG] == [
        *SIMPLERNN_IDS, "lstm-1x32-len500", "gru-1x32-len500", "simplernn-1x32-len300-tuned",
        "simplernn-bi1x32-len500-mean-tuned", "bow-32d-len500", "tfidf-len1000",
    ]


def test_ids_are_unique_and_name_the_architecture():
    ids = [spec.id for spec in CATALOG]
    assert len(set(ids)) == len(ids) == 15
    for spec in CATALOG:
        if spec.reads_order:
            both = "bi" if spec.bidirectional else ""
            assert spec.id.startswith(f"{spec.cell.lower()}-{both}{spec.layers}x{spec.units}-len{spec.maxlen}")
        else:
            assert spec.id.split("-")[0] == catalog.ORDER_FREE_CELLS[spec.cell] and f"-len{spec.maxlen}" in spec.id


def test_the_order_free_references_read_no_order_and_every_other_variant_does():
    free = [spec.id for spec in CATALOG if not spec.reads_order]
    assert free == ["bow-32d-len500", "tfidf-len1000"]
    assert all(spec.cell in catalog.RECURRENT_CELLS for spec in CATALOG if spec.reads_order)
    assert catalog.get("bow-32d-len500").architecture == (
        "Embedding(10000, 32, mask_zero=True) → GlobalAveragePooling1D (masked) → Dense(1, sigmoid)")
    assert catalog.get("tfidf-len1000").architecture.startswith("CategoryEncoding(10000, count) → Rescaling(")


def test_the_best_simplernn_stays_a_simplernn_and_lists_every_change():
    best = catalog.READS_BOTH_WAYS
    assert (best.cell, best.bidirectional, best.pooling, best.recipe.mask_zero) == ("SimpleRNN", True, "mean", True)
    assert best.architecture == ("Embedding(10000, 32, mask_zero=True) → Bidirectional(SimpleRNN(32, "
                                 "return_sequences=True)) → GlobalAveragePooling1D (masked) → Dense(1, sigmoid)")
    assert len(best.recipe.changes) == 7
    # The ablation goes from the seed's SimpleRNN to it, one change per row, each row its own variant.
    assert catalog.ABLATION[0][1] == catalog.get("simplernn-1x32-len500") and catalog.ABLATION[-1][1] == best
    assert len({spec.id for _, spec in catalog.ABLATION}) == len(catalog.ABLATION)


@pytest.mark.parametrize("fields", [dict(cell="BagOfWords", layers=1), dict(cell="TfIdf", layers=0, bidirectional=True),
                                    dict(cell="SimpleRNN", layers=0), dict(cell="SimpleRNN", layers=1, pooling="median")])
def test_a_spec_that_cannot_be_built_is_refused(fields):
    with pytest.raises(ValueError):
        VariantSpec(maxlen=100, **fields)


def test_seed_variants_use_the_seed_settings():
    for spec in CATALOG[:11]:
        assert (spec.num_words, spec.embedding_dim, spec.units) == (10_000, 32, 32)
        assert spec.recipe == SEED_RECIPE
    assert (SEED_RECIPE.optimizer, SEED_RECIPE.learning_rate, SEED_RECIPE.epochs, SEED_RECIPE.batch_size,
            SEED_RECIPE.validation_split, SEED_RECIPE.mask_zero) == ("rmsprop", 0.001, 10, 128, 0.2, False)


def test_tuned_variant_records_what_changed_from_the_seed():
    tuned = catalog.get("simplernn-1x32-len300-tuned")
    assert tuned.recipe is TUNED_RECIPE and tuned.recipe.mask_zero
    assert len(tuned.recipe.changes) >= 4 and all(tuned.recipe.changes)


def test_lookup_of_an_unknown_id_names_the_known_ones():
    assert catalog.get("gru-1x32-len500").cell == "GRU"
    with pytest.raises(KeyError, match="simplernn-1x32-len100"):
        catalog.get("simplernn-3x32-len100")


def test_an_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="cell"):
        VariantSpec("Transformer", 1, 100)


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.id)
def test_spec_survives_a_dict_round_trip(spec):
    import json

    data = json.loads(json.dumps(spec.to_dict()))  # as stored in metadata.json
    assert data["id"] == spec.id
    assert VariantSpec.from_dict(data) == spec


def test_a_custom_recipe_round_trips_and_gets_its_own_id():
    spec = VariantSpec("LSTM", 2, 80, recipe=Recipe(name="mine", dropout=0.2, changes=("a", "b")))
    assert spec.id == "lstm-2x32-len80-mine"
    assert VariantSpec.from_dict(spec.to_dict()) == spec


@pytest.fixture(scope="module")
def built():
    from training.model import build_model

    return {spec.id: build_model(spec) for spec in CATALOG}


def layer_params(model) -> list[tuple[str, int]]:
    return [(type(layer).__name__, layer.count_params()) for layer in model.layers]


@pytest.mark.parametrize("layers", [1, 2, 4])
@pytest.mark.parametrize("maxlen", [100, 200, 500])
def test_simplernn_parameter_counts_match_the_seed(built, layers, maxlen):
    model = built[f"simplernn-{layers}x32-len{maxlen}"]
    assert layer_params(model) == [
        ("Embedding", EMBEDDING_PARAMS), *[("SimpleRNN", SIMPLERNN_PARAMS)] * layers, ("Dense", DENSE_PARAMS),
    ]
    assert model.count_params() == EMBEDDING_PARAMS + layers * SIMPLERNN_PARAMS + DENSE_PARAMS


def test_four_layer_stack_matches_the_seed_summary(built):
    model = built["simplernn-4x32-len500"]
    assert sum(layer.count_params() for layer in model.layers[:-1]) == 328_320
    assert model.count_params() == 328_353


def test_stacked_cells_return_sequences_on_all_but_the_last(built):
    model = built["simplernn-4x32-len200"]
    assert [layer.return_sequences for layer in model.layers[1:-1]] == [True, True, True, False]
    assert model.layers[-1].get_config()["activation"] == "sigmoid"


def test_reference_cells_parameter_counts(built):
    assert layer_params(built["lstm-1x32-len500"]) == [("Embedding", 320_000), ("LSTM", 8_320), ("Dense", 33)]
    assert layer_params(built["gru-1x32-len500"]) == [("Embedding", 320_000), ("GRU", 6_336), ("Dense", 33)]
    assert built["lstm-1x32-len500"].count_params() == 328_353
    assert built["gru-1x32-len500"].count_params() == 326_369


def test_tuned_variant_masks_padding_without_extra_parameters(built):
    model = built["simplernn-1x32-len300-tuned"]
    assert model.layers[0].mask_zero is True
    assert model.count_params() == 322_113
    assert all(not built[spec.id].layers[0].mask_zero for spec in CATALOG[:11])


def test_the_order_free_and_bidirectional_models_are_plain_keras_layers(built):
    assert layer_params(built["bow-32d-len500"]) == [("Embedding", 320_000), ("GlobalAveragePooling1D", 0), ("Dense", 33)]
    assert layer_params(built["tfidf-len1000"]) == [
        ("CategoryEncoding", 0), ("Rescaling", 0), ("UnitNormalization", 0), ("Dense", 10_001)]
    # Both directions: two SimpleRNN(32) of 2,080 parameters; the Dense reads 64 numbers.
    assert layer_params(built["simplernn-bi1x32-len500-mean-tuned"]) == [
        ("Embedding", 320_000), ("Bidirectional", 4_160), ("GlobalAveragePooling1D", 0), ("Dense", 65)]


def test_tfidf_weights_are_scikit_learns_idf():
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer

    from training.model import tfidf_weights

    sequences = [[2, 3, 3, 4], [2, 5], [1, 2, 6, 6, 6], [0, 0, 3]]
    counts = np.zeros((len(sequences), 8))
    for row, sequence in enumerate(sequences):
        for word in sequence:
            if word > 1:
                counts[row, word] += 1
    expected = TfidfTransformer().fit(counts[:, 2:]).idf_
    idf = tfidf_weights(sequences, 8)
    np.testing.assert_allclose(idf[2:], expected, rtol=1e-6)
    assert idf[0] == idf[1] == 0


def test_models_read_any_sequence_length(built):
    # maxlen is applied by the text pipeline, as in the seed's summary (input shape (None, None)).
    assert all(tuple(model.inputs[0].shape) == (None, None) for model in built.values())


def test_the_readme_and_the_model_cards_list_each_way_training_differs_from_the_tutorials_fit():
    """Said once (``TRAINING_DIFFERENCES``), quoted by the README and printed in every card; the
    README no longer calls the seed recipe "the tutorial's recipe exactly"."""
    import json

    from zoo.card import render_card
    from zoo.catalog import SEED_RECIPE_CLAIM, TRAINING_DIFFERENCES

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- training-differences:start -->\n")[1].split("<!-- training-differences:end -->")[0]
    assert block.splitlines() == [f"- {difference}" for difference in TRAINING_DIFFERENCES]
    assert "tutorial's recipe exactly" not in readme and SEED_RECIPE_CLAIM in readme
    folder = REPO / "bundled_zoo" / "simplernn-1x32-len500"
    card = render_card(json.loads((folder / "metadata.json").read_text()), json.loads((folder / "history.json").read_text()))
    assert f"- Training: {SEED_RECIPE_CLAIM}; how it differs from the tutorial's `model.fit`:" in card
    for difference in TRAINING_DIFFERENCES:
        assert f"\n  - {difference}\n" in card


@pytest.mark.parametrize("variant_id", ["bow-32d-len500", "tfidf-len1000", "simplernn-bi1x32-len500-mean-tuned"])
def test_training_may_cut_the_leading_padding_of_a_model_whose_answer_it_leaves(built, variant_id):
    import numpy as np

    from training.batches import trimmed
    from training.model import trims_padding

    assert trims_padding(catalog.get(variant_id))
    rng = np.random.default_rng(0)
    x = np.zeros((6, 500), dtype=np.int32)
    for row, length in enumerate((3, 40, 75, 120, 7, 90)):
        x[row, 500 - length :] = rng.integers(1, 10_000, length)
    cut = trimmed(x)
    assert cut.shape == (6, 150)  # the longest row, 120 words, rounded up to a multiple of 50
    model = built[variant_id]
    np.testing.assert_allclose(model.predict_on_batch(cut), model.predict_on_batch(x), atol=1e-6)


def test_a_model_that_reads_the_padding_is_trained_on_full_rows():
    from training.model import fuses, trims_padding

    assert fuses(catalog.get("simplernn-1x32-len500")) and not trims_padding(catalog.get("simplernn-1x32-len500"))
    # The maximum over the states sees the padding's zero states: cutting them would change the answer.
    maxed = VariantSpec("SimpleRNN", 1, 500, bidirectional=True, pooling="max", recipe=Recipe(name="m", mask_zero=True))
    assert not fuses(maxed) and not trims_padding(maxed)
