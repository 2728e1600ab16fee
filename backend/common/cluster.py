"""The services' Redis Cluster client: redis-py's, closed whole.

redis-py 7.4's asyncio cluster client leaves connections open when it is closed after its
slot map was read again (which an error on a connection, a ``MOVED`` or a cluster change
makes it do). Reading the map again keeps the nodes it already had in ``nodes_cache`` but
routes commands through the new node objects of the fresh map (``slots_cache``); its
``aclose()`` closes the nodes of ``nodes_cache`` and the start-up nodes only, so every
connection a command opened afterwards stays open until it is collected. And after an
error, before the map is read again, ``aclose()`` does nothing at all (its
``_initialize`` flag already says "closed").

Seen in this suite (a ``socket.socket`` hook that recorded where each socket collected
while open had been made): the connections of the 200-buyer seat race on the 3-master
cluster, opened by the orders service's and the test's clients, were found open by a
later test's garbage collection, and failed it with a ``ResourceWarning`` per socket.
redis-py 8.2 rebuilds the map with the nodes it keeps; until the project moves to it
(a major version, RESP3 by default), ``ClusterClient.aclose`` also closes every node the
map routes to. ``tests/integration/common/test_runtime.py`` counts the connections each
node holds.
"""

from __future__ import annotations

import asyncio

from redis.asyncio.cluster import ClusterNode, RedisCluster


class ClusterClient(RedisCluster):
    """A cluster client whose ``aclose`` closes every connection it opened."""

    async def aclose(self) -> None:
        manager = self.nodes_manager
        nodes: dict[int, ClusterNode] = {}
        for node in (
            *manager.nodes_cache.values(),
            *manager.startup_nodes.values(),
            *(node for routed in manager.slots_cache.values() for node in routed),
        ):
            nodes[id(node)] = node
        await super().aclose()
        await asyncio.gather(*(node.disconnect() for node in nodes.values()))
