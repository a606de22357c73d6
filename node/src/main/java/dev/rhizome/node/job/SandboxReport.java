package dev.rhizome.node.job;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@link SandboxProbe} found this machine supports, check by check, and whether jobs can
 * be sandboxed here; {@code rhizome node doctor} prints it, a node refuses to start on a failed
 * one.
 *
 * @param checks  every check in the order it ran
 * @param plan    how jobs will be sandboxed; empty when a required check failed
 */
public record SandboxReport(List<Check> checks, Optional<SandboxPlan> plan) {

    /**
     * One thing checked.
     *
     * @param required whether the sandbox can't be built without it
     * @param fix      what to do when it failed, empty when it passed or there is nothing to do
     */
    public record Check(String name, boolean ok, boolean required, String detail, String fix) {
    }

    public SandboxReport {
        checks = List.copyOf(checks);
    }

    /** Whether a node of an ordinary user runs its jobs as subordinate uids: its trial job ran as one through all of it. */
    public boolean subordinateUids() {
        return checks.stream().anyMatch(c -> c.name().equals(SandboxProbe.JOB_USER) && c.ok()
                && c.detail().startsWith(SandboxProbe.SUBORDINATE_OWN));
    }

    public boolean ok() {
        return plan.isPresent();
    }

    /** The failed required checks, one per line, each with its fix: what a refusing node prints. */
    public String whyNot() {
        StringBuilder b = new StringBuilder();
        for (Check c : checks) {
            if (c.required() && !c.ok()) {
                b.append(c.name()).append(": ").append(c.detail());
                if (!c.fix().isEmpty()) {
                    b.append("\n  fix: ").append(c.fix());
                }
                b.append('\n');
            }
        }
        return b.toString().strip();
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("sandbox", ok());
        JsonArray array = new JsonArray();
        for (Check c : checks) {
            JsonObject j = new JsonObject();
            j.addProperty("name", c.name());
            j.addProperty("ok", c.ok());
            j.addProperty("required", c.required());
            j.addProperty("detail", c.detail());
            if (!c.fix().isEmpty()) {
                j.addProperty("fix", c.fix());
            }
            array.add(j);
        }
        o.add("checks", array);
        plan.ifPresent(p -> {
            JsonObject limits = new JsonObject();
            limits.addProperty("memory_bytes", p.limits().memoryBytes());
            limits.addProperty("memory_enforced_by", p.memory().name().toLowerCase(Locale.ROOT));
            limits.addProperty("processes", p.limits().processes());
            limits.addProperty("tmp_bytes", p.limits().tmpBytes());
            o.add("limits", limits);
            o.addProperty("job_uid", p.ownUid() || subordinateUids() ? "own" : "shared");
            p.jobUid().ifPresent(uid -> o.addProperty("job_uids", JobUids.describe()));
            JsonArray devices = new JsonArray();
            p.gpus().devices().forEach(d -> devices.add(d.toString()));
            o.add("gpu_devices", devices);
            JsonArray libs = new JsonArray();
            p.gpus().libraryDirs().forEach(d -> libs.add(d.toString()));
            o.add("gpu_library_dirs", libs);
        });
        if (!ok()) {
            o.addProperty("why_not", whyNot());
        }
        return o;
    }
}
