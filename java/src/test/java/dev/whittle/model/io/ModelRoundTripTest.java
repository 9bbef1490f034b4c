package dev.whittle.model.io;

import dev.whittle.model.Model;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRoundTripTest {
    @Test
    void everySharedModelSurvivesReadWriteRead() {
        List<Path> models = SharedData.allModels();
        assertTrue(models.size() >= 10, "expected the shared models, found " + models.size());
        for (Path p : models) {
            Model m = ModelReader.readUnvalidated(p);
            byte[] written = ModelWriter.toBytes(m);
            Model again = ModelReader.read(written);
            assertEquals(m, again, "round trip changed " + p.getFileName());
            byte[] twice = ModelWriter.toBytes(again);
            assertEquals(written.length, twice.length, "second write differs in size for " + p.getFileName());
            System.out.printf("round trip %-50s %9d -> %9d bytes%n", p.getFileName(), p.toFile().length(), written.length);
        }
    }
}
