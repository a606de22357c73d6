package dev.rhizome.coordinator.store;

/**
 * An item of a list read a page at a time, with the sort key it was read by: the last item's key
 * is where the next page starts ({@code WHERE key > ?}), which a cursor carries to the client.
 */
public record Keyed<K, T>(K key, T value) {
}
