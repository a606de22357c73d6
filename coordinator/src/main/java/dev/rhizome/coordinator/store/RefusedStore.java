package dev.rhizome.coordinator.store;

import java.io.IOException;

/**
 * The store's database answered and refused the coordinator at start (a wrong password, a database
 * or user that does not exist): waiting will not cure it, unlike a database that is down. Its
 * message names the address (without its password) and the database's words, so the command can
 * point at the address to fix rather than print the unforeseen-failure line.
 */
public final class RefusedStore extends IOException {
    RefusedStore(IOException refusal) {
        super(refusal.getMessage(), refusal);
    }
}
