"""Model cards: a Hugging Face README.md per built variant, every figure read from catalog.json.

    from catalog.publish.model_card import render_card, write_cards
    from catalog.schema import read_catalog

    catalog = read_catalog(Path("build/catalog.json"))  # catalog.json's typed records
    text = render_card(catalog, "movenet-lightning")  # the README.md, front matter first
    write_cards(catalog, Path("build/cards"))  # <id>/README.md and <id>/skeleton.svg per variant

The card follows the Qualcomm AI Hub's layout (summary, details, performance, license,
references, usage limits) and adds what this zoo measures: inputs and outputs, the keypoint
schema's figure, the keypoint and conversion checks, the authors' own figures, runnable
snippets and the provenance.

    inputs.py    what one card is made of: the variant's, its family's and the machine's records
    markdown.py  Markdown built from escaped parts (`Md`), tables, links, code
    metadata.py  the YAML front matter the Hub reads
    sections.py  the card's sections, one function each
    int8.py      the int8 section and the trade in one line
    devices.py   the latency measured on every device, the build machine's first (catalog.publish.devices)
    snippets.py  the runnable Python and JavaScript snippets
    render.py    the template filled with the sections; the cards of a catalog written out

Numbers are formatted by catalog.publish.formatting, once, so a figure reads the same in every
table, on the site and in the app.
"""

from catalog.publish.model_card.render import render_card, write_cards

__all__ = ["render_card", "write_cards"]
