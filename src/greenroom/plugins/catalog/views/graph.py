"""An entity's neighbourhood: a bounded breadth-first walk over catalog_relations and a layered layout.

Relations are stored from both ends (ownedBy on the component, ownerOf on the group), so the walk follows
rows whose source *or* target is on the frontier; that way picking only `ownedBy` still finds a group's
components. When both a relation and its inverse are picked the pair is drawn once, in the forward direction.
The layout is deliberately simple (one column per distance from the root, ordered by the neighbours'
positions) so it can be drawn as plain SVG on the server and work without any script.

Entities the viewer may not read are left out, and the walk does not pass through them: each level's new
neighbours are checked in one query before they join the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from greenroom.plugins.catalog.api.common import run
from greenroom.plugins.catalog.service import CatalogService
from greenroom.plugins.catalog.views.loading import entity_url, load_entities

MAX_NODES = 300
MAX_DEPTH = 4
FORWARD = {"ownedBy": "ownerOf", "providesApi": "apiProvidedBy", "consumesApi": "apiConsumedBy",
           "dependsOn": "dependencyOf", "childOf": "parentOf", "memberOf": "hasMember", "partOf": "hasPart"}
INVERSE = {v: k for k, v in FORWARD.items()}
ALL_RELATIONS = [name for pair in FORWARD.items() for name in pair]
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 230, 50, 130, 16, 24


@dataclass
class GraphNode:
    ref: str
    kind: str
    namespace: str
    name: str
    title: str
    depth: int
    url: str
    missing: bool = False
    x: float = 0
    y: float = 0


@dataclass
class GraphEdge:
    source: str
    type: str
    target: str
    path: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass
class Graph:
    """The walk's result, laid out; `truncated` says that `max_nodes` cut it short."""

    root: str
    depth: int
    relations: list[str]
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    truncated: bool = False
    max_nodes: int = MAX_NODES
    width: float = 0
    height: float = 0

    def as_json(self) -> dict[str, Any]:
        """The JSON body of /catalog-graph/data."""
        return {"root": self.root, "depth": self.depth, "relations": self.relations, "truncated": self.truncated,
                "maxNodes": self.max_nodes, "width": self.width, "height": self.height,
                "nodes": [asdict(n) for n in self.nodes],
                "edges": [{"source": e.source, "type": e.type, "target": e.target} for e in self.edges]}


def _neighbours(service: CatalogService, frontier: list[str], relations: list[str]) -> set[tuple[str, str, str]]:
    rows: set[tuple[str, str, str]] = set()
    types = ", ".join("?" for _ in relations)
    with service.database.engine.connect() as conn:
        for start in range(0, len(frontier), 400):
            part = frontier[start:start + 400]
            refs = ", ".join("?" for _ in part)
            for column in ("source_entity_ref", "target_entity_ref"):
                sql = (f"SELECT DISTINCT source_entity_ref, type, target_entity_ref FROM catalog_relations "
                       f"WHERE type IN ({types}) AND {column} IN ({refs})")
                rows.update((str(a), str(b), str(c)) for a, b, c in run(conn, sql, [*relations, *part]))
    return rows


def walk(service: CatalogService, root: str, depth: int, relations: list[str], max_nodes: int = MAX_NODES,
         readable: Callable[[list[str]], set[str]] | None = None) -> Graph:
    """Walk up to `depth` steps from `root` (a stored ref) along `relations`, keeping at most `max_nodes`;
    `readable` (when given) picks the refs the viewer may see among those it is given."""
    graph = Graph(root=root, depth=depth, relations=relations, max_nodes=max_nodes)
    distance = {root: 0}
    edges: set[tuple[str, str, str]] = set()
    frontier = [root]
    for level in range(1, depth + 1):
        if not frontier or not relations:
            break
        rows = sorted(_neighbours(service, frontier, relations))
        fresh = list(dict.fromkeys(end for source, _, target in rows for end in (source, target)
                                   if end not in distance))
        if readable is not None and fresh:
            allowed = readable(fresh)
            fresh = [ref for ref in fresh if ref in allowed]
        found: list[str] = []
        for ref in fresh:
            if len(distance) >= max_nodes:
                graph.truncated = True
                break
            distance[ref] = level
            found.append(ref)
        for source, kind, target in rows:
            if source in distance and target in distance and source != target:
                edges.add((source, kind, target))
        frontier = found
    # A pair such as ownedBy/ownerOf is one fact; draw it once, as the forward relation.
    graph.edges = [GraphEdge(s, t, d) for s, t, d in sorted(edges)
                   if not (t in INVERSE and (d, INVERSE[t], s) in edges)]
    stored = load_entities(service, list(distance))
    for ref, level in distance.items():
        kind, _, rest = ref.partition(":")
        namespace, _, name = rest.partition("/")
        entity = stored.get(ref)
        meta = entity.get("metadata", {}) if entity else {}
        graph.nodes.append(GraphNode(
            ref=ref, kind=str(entity.get("kind", kind)) if entity else kind, namespace=namespace,
            name=str(meta.get("name", name)), title=str(meta.get("title") or meta.get("name") or name),
            depth=level, url=entity_url(ref), missing=entity is None))
    layout(graph)
    return graph


def layout(graph: Graph) -> None:
    """Place nodes in columns by distance, each column ordered by where its neighbours sit, and route edges."""
    columns: dict[int, list[GraphNode]] = {}
    for node in sorted(graph.nodes, key=lambda n: (n.kind.lower(), n.name.lower())):
        columns.setdefault(node.depth, []).append(node)
    links: dict[str, list[str]] = {}
    for edge in graph.edges:
        links.setdefault(edge.source, []).append(edge.target)
        links.setdefault(edge.target, []).append(edge.source)
    index: dict[str, float] = {}
    for level in sorted(columns):
        column = columns[level]

        def centre(node: GraphNode) -> float:
            placed = [index[r] for r in links.get(node.ref, []) if r in index]
            return sum(placed) / len(placed) if placed else float("inf")

        # Sorting by the mean position of already placed neighbours keeps most edges from crossing.
        column.sort(key=centre)
        for i, node in enumerate(column):
            index[node.ref] = i
    tallest = max((len(c) for c in columns.values()), default=1)
    graph.height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    graph.width = PAD * 2 + len(columns) * NODE_W + max(len(columns) - 1, 0) * COL_GAP
    for level, column in columns.items():
        offset = (graph.height - (len(column) * NODE_H + (len(column) - 1) * ROW_GAP)) / 2
        for i, node in enumerate(column):
            node.x = PAD + level * (NODE_W + COL_GAP)
            node.y = offset + i * (NODE_H + ROW_GAP)
    at = {n.ref: n for n in graph.nodes}
    for edge in graph.edges:
        a, b = at[edge.source], at[edge.target]
        ay, by = a.y + NODE_H / 2, b.y + NODE_H / 2
        if a.depth == b.depth:
            # Within one column: bulge out to the right so the curve does not run through the boxes between.
            ax, bx = a.x + NODE_W, b.x + NODE_W
            bulge = ax + min(COL_GAP * 0.8, 30 + abs(by - ay) / 4)
            edge.path = f"M{ax:.0f},{ay:.0f} C{bulge:.0f},{ay:.0f} {bulge:.0f},{by:.0f} {bx:.0f},{by:.0f}"
            edge.label_x, edge.label_y = bulge - 10, (ay + by) / 2
            continue
        ax = a.x + NODE_W if a.depth < b.depth else a.x
        bx = b.x if a.depth < b.depth else b.x + NODE_W
        mid = (ax + bx) / 2
        edge.path = f"M{ax:.0f},{ay:.0f} C{mid:.0f},{ay:.0f} {mid:.0f},{by:.0f} {bx:.0f},{by:.0f}"
        edge.label_x, edge.label_y = mid, (ay + by) / 2
