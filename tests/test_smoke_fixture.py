from tests.conftest import TINY_VARIANTS


def test_tiny_zoo_lists_every_variant(tiny_zoo_path):
    import zoo

    assert zoo.open_zoo(tiny_zoo_path).ids == list(TINY_VARIANTS)
