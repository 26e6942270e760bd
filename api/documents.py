"""Each distinct GraphQL document is parsed and validated once per process, not on every request.

``Documents`` belongs to one schema and keeps, by document text (LRU), the parsed document and the
validation errors. The key is the text with the parse options (``max_tokens``) and the rule classes, all
cheap to hash: strawberry's ``ValidationCache`` keys on the parsed document, whose hash walks the whole
tree on every request. A document that does not parse is left to strawberry (it parses again and
reports the syntax error with its code, see ``api.errors``): failures are not cached. ``QueryTexts``
keeps the printed text of the operations of those documents (the access log hashes it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse, print_ast
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

DEFAULT_MAXSIZE = 256


@dataclass
class _Entry:
    document: DocumentNode
    rules: tuple[Any, ...] | None = None  # the rules ``errors`` were found with
    errors: list[GraphQLError] = field(default_factory=list)


class Documents:
    """Parsed documents and their validation errors, by text, for one schema (thread-safe LRU)."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.parsed = self.validated = 0  # cache misses

    def _entry(self, query: str, options: dict[str, Any], document: DocumentNode | None = None) -> _Entry:
        key = (query, *sorted(options.items()))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (document is None or entry.document is document):
                self._entries.move_to_end(key)
                return entry
        entry = _Entry(document if document is not None else parse(query, **options))
        with self._lock:
            self.parsed += document is None
            self._entries[key] = entry
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return entry

    def document(self, query: str, options: dict[str, Any]) -> DocumentNode:
        """The parsed document (raises GraphQLError for a document that does not parse)."""
        return self._entry(query, options).document

    def errors(self, schema: Any, query: str, options: dict[str, Any], document: DocumentNode,
               rules: tuple[Any, ...]) -> list[GraphQLError]:
        """The validation errors of ``document`` (parsed from ``query`` with ``options``) under ``rules``."""
        entry = self._entry(query, options, document)
        if entry.rules != rules:
            entry.errors, entry.rules = validate_document(schema, document, rules), rules
            self.validated += 1
        return entry.errors


class DocumentCache(SchemaExtension):
    """Parse and validate through the schema's ``Documents`` (add it after the extensions that set
    parse options and validation rules)."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            try:
                ctx.graphql_document = self.documents.document(ctx.query, ctx.parse_options)
            except GraphQLError:
                pass  # strawberry parses again and answers with the syntax error
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query and ctx.graphql_document is not None and ctx.pre_execution_errors is None:
            ctx.pre_execution_errors = self.documents.errors(ctx.schema._schema, ctx.query, ctx.parse_options,
                                                             ctx.graphql_document, tuple(ctx.validation_rules))
        yield


class QueryTexts:
    """Each operation's printed text, kept for the operations of cached documents (``Documents`` returns
    the same nodes for the same text), so that access notes do not print the AST on every request."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._texts: OrderedDict[int, tuple[OperationDefinitionNode, str]] = OrderedDict()
        self._lock = threading.Lock()

    def printed(self, operation: OperationDefinitionNode) -> str:
        with self._lock:
            found = self._texts.get(id(operation))
            if found is not None and found[0] is operation:
                return found[1]
        text = print_ast(operation)
        with self._lock:
            self._texts[id(operation)] = (operation, text)
            while len(self._texts) > self.maxsize:
                self._texts.popitem(last=False)
        return text
