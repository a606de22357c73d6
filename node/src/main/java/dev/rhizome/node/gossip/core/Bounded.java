package dev.rhizome.node.gossip.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A map that keeps the {@code max} most recently put or read entries: the core's memory of
 * addresses (the work's holder hints, the peers it had links with) stays bounded whatever peers
 * and callers hand it.
 */
final class Bounded<K, V> {
    private final int max;
    private final LinkedHashMap<K, V> map;

    Bounded(int max) {
        this.max = max;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > Bounded.this.max;
            }
        };
    }

    void put(K key, V value) {
        map.put(key, value);
    }

    V get(K key) {
        return map.get(key);
    }

    /** Whether {@code key} is kept; unlike {@link #get}, not a use. */
    boolean containsKey(K key) {
        return map.containsKey(key);
    }

    V remove(K key) {
        return map.remove(key);
    }

    int size() {
        return map.size();
    }

    /** The keys, least recently used first (a copy: reading entries while iterating reorders them). */
    List<K> keys() {
        return new ArrayList<>(map.keySet());
    }

    /** The values, least recently used first. */
    List<V> values() {
        return new ArrayList<>(map.values());
    }
}
