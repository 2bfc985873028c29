"""The SimpleRNN Zoo: a catalog of recurrent sentiment classifiers for IMDB reviews,
their artifacts, local and Hub stores, loading and inference.

    import zoo
    z = zoo.open_zoo()                       # the bundled zoo, or $ZOO_SOURCE
    z.ids                                    # ['simplernn-1x32-len100', ...]
    z.classify(["A wonderful film."])        # {variant id: array of P(positive)}
"""

from .artifact import Artifact, ArtifactError
from .catalog import CATALOG, Recipe, VariantSpec
from .errors import HubUnreachableError, ZooError
from .store import BUNDLED_ZOO, Zoo, open_zoo, open_zoo_or_bundled
from .text import Vocabulary, tokenize

__all__ = [
    "Artifact", "ArtifactError", "BUNDLED_ZOO", "CATALOG", "Recipe", "VariantSpec",
    "HubUnreachableError", "Vocabulary", "Zoo", "ZooError", "open_zoo", "open_zoo_or_bundled", "tokenize",
]
