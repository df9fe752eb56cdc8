"""Form parsers: attachments in, contract records out.

``parse_document`` is the entry point; ``FormMapping`` and the loaders
describe a board's forms as data; ``sniff_type`` tells what a file really
is (mail intake uses it too).
"""

from parsers.api import ParseResult, parse_document, read_document
from parsers.engine import ExplainItem
from parsers.loading import load_mapping_file, load_mappings
from parsers.mapping import FormMapping
from parsers.sniff import sniff_type

__all__ = ["ExplainItem", "FormMapping", "ParseResult", "load_mapping_file", "load_mappings",
           "parse_document", "read_document", "sniff_type"]
