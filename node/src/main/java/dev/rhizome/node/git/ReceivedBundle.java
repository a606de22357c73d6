package dev.rhizome.node.git;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A bundle's bytes as received: in a file, or in memory when small (no file then exists to read). */
sealed interface ReceivedBundle {
    long size() throws IOException;

    /** A fresh stream over the whole bundle, buffered (the header is read a byte at a time). */
    InputStream open() throws IOException;

    /** How error messages name it. */
    String name();

    static ReceivedBundle of(Path file) {
        return new InFile(file);
    }

    static ReceivedBundle of(byte[] bytes) {
        return new InMemory(bytes);
    }

    record InFile(Path file) implements ReceivedBundle {
        @Override
        public long size() throws IOException {
            return Files.size(file);
        }

        @Override
        public InputStream open() throws IOException {
            return new BufferedInputStream(Files.newInputStream(file), 8192);
        }

        @Override
        public String name() {
            return file.getFileName().toString();
        }
    }

    record InMemory(byte[] bytes) implements ReceivedBundle {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public String name() {
            return "of " + bytes.length + " bytes in memory";
        }
    }
}
