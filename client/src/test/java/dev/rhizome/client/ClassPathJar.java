package dev.rhizome.client;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** A rhizome.jar made from the test's class path, for a test that needs the jar itself (rewritten, or lacking a class). */
final class ClassPathJar {
    private ClassPathJar() {
    }

    /** Writes one jar of the main classes and libraries on this class path, as the build's rhizome.jar holds them, less the entries {@code keep} refuses. */
    static void write(Path jar, Predicate<String> keep) throws IOException {
        write(jar, keep, null);
    }

    /** {@link #write(Path, Predicate)} with a manifest naming {@code mainClass}: a jar `java -jar` runs, as the launcher does. */
    static void writeRunnable(Path jar, String mainClass) throws IOException {
        write(jar, name -> true, mainClass);
    }

    private static void write(Path jar, Predicate<String> keep, String mainClass) throws IOException {
        Set<String> seen = new HashSet<>();
        Map<String, StringBuilder> services = new TreeMap<>();
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            out.setLevel(Deflater.BEST_SPEED);
            if (mainClass != null) {
                seen.add("META-INF/MANIFEST.MF");
                out.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
                out.write(("Manifest-Version: 1.0\r\nMain-Class: " + mainClass + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path p = Path.of(entry);
                if (entry.contains("test-classes") || entry.endsWith("-tests.jar")) {
                    continue;  // the shipped jar holds no test classes (nor their logback-test.xml)
                }
                if (Files.isDirectory(p)) {
                    try (Stream<Path> files = Files.walk(p)) {
                        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                            String name = p.relativize(f).toString().replace(File.separatorChar, '/');
                            if (keep.test(name) && seen.add(name)) {
                                out.putNextEntry(new ZipEntry(name));
                                Files.copy(f, out);
                                out.closeEntry();
                            }
                        }
                    }
                } else if (Files.isRegularFile(p)) {
                    try (ZipFile zip = new ZipFile(p.toFile())) {
                        for (ZipEntry e : Collections.list(zip.entries())) {
                            String name = e.getName();
                            if (e.isDirectory() || name.equals("META-INF/MANIFEST.MF") || name.matches("META-INF/[^/]*\\.(SF|RSA|DSA|EC)")) {
                                continue;
                            }
                            try (InputStream in = zip.getInputStream(e)) {
                                if (name.startsWith("META-INF/services/")) {
                                    services.computeIfAbsent(name, n -> new StringBuilder())
                                            .append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
                                } else if (keep.test(name) && seen.add(name)) {
                                    out.putNextEntry(new ZipEntry(name));
                                    in.transferTo(out);
                                    out.closeEntry();
                                }
                            }
                        }
                    }
                }
            }
            // merged, as the build's shading merges them: the JDBC drivers and logging are found through them
            for (Map.Entry<String, StringBuilder> service : services.entrySet()) {
                if (!seen.add(service.getKey())) {
                    continue;  // a module's own, from its class directory
                }
                out.putNextEntry(new ZipEntry(service.getKey()));
                out.write(service.getValue().toString().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
    }
}
