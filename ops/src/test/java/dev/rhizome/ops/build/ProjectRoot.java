package dev.rhizome.ops.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout's root, above the module whose tests run (surefire runs them in the module's folder). */
final class ProjectRoot {
    private ProjectRoot() {
    }

    static Path find() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("ops").resolve("pom.xml"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the project root above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }
}
