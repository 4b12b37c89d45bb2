"""Where in a YAML file is each value? A SafeLoader that remembers line numbers.

Flowcharts and batch configs are written by hand, so every problem found in
them names its line.  Mappings load as :class:`_Map` (``line``, ``key_lines``,
``duplicates``) and lists as :class:`_Seq` (``line``, ``item_lines``).
"""

from __future__ import annotations

import yaml


class _Map(dict):
    line: int | None = None
    key_lines: dict
    duplicates: list  # (key, line) of keys written twice in this mapping


class _Seq(list):
    line: int | None = None
    item_lines: list


class _LineLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, remembering the line of every mapping, key and list item.

    ``duplicates`` lists ``(key, line)`` for every key written twice in any mapping.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates = []


def _construct_map(loader, node):
    data = _Map()
    data.line, data.key_lines, data.duplicates = node.start_mark.line + 1, {}, []
    yield data
    own = {id(k) for k, _ in node.value}
    loader.flatten_mapping(node)
    written = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        line = key_node.start_mark.line + 1
        # keys merged in with `<<: *anchor` may be overridden; keys written twice may not
        if id(key_node) in own:
            if key in written:
                data.duplicates.append((key, line))
                loader.duplicates.append((key, line))
            written.add(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_seq(loader, node):
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
