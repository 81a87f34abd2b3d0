"""PROV-JSON out to the other PROV serializations, through the ``prov`` library: PROV-N,
PROV-XML and PROV-O Turtle (needs the ``prov`` extra)."""

from __future__ import annotations

import io
import warnings

from provgraph.errors import ProvgraphError

FORMATS = ("provn", "provxml", "turtle")


def convert_prov(text: str, fmt: str) -> str:
    """PROV-JSON ``text`` converted by the prov library to ``fmt`` (one of :data:`FORMATS`)."""
    try:
        import prov
    except ImportError as e:
        raise ProvgraphError("this format needs the prov extra: pip install"
                             " 'provgraph[prov]'") from e
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = prov.read(io.StringIO(text), format="json")
        if document is None:
            raise ProvgraphError("prov could not read the PROV-JSON export")
        try:
            if fmt == "turtle":
                return str(document.serialize(format="rdf", rdf_format="turtle"))
            return str(document.serialize(format="xml" if fmt == "provxml" else "provn"))
        except Exception as e:  # prov's serializers raise their own errors
            raise ProvgraphError(f"prov could not write {fmt}: {e}") from e
