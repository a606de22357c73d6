package dev.rhizome.client.commands;

import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check whether this machine can sandbox jobs, and how: bubblewrap, user/pid/network namespaces,",
            "cgroup v2 delegation or the rlimit fallback, GPUs, and a trial sandboxed job.",
            "Exit status 0 when jobs can run sandboxed here, 1 when not (each failed check says how to fix it)."})
public final class NodeDoctorCommand implements Callable<Integer> {
    @Option(names = "--json", description = "One JSON object: sandbox (the verdict), checks, limits, gpu_devices, why_not.")
    boolean json;

    @Override
    public Integer call() {
        SandboxReport report = SandboxProbe.probe();
        Output out = new Output(System.out);
        if (json) {
            out.json(report.toJson());
        } else {
            for (SandboxReport.Check c : report.checks()) {
                String mark = c.ok() ? "ok  " : c.required() ? "FAIL" : "--  ";
                out.line(String.format("%s %-17s %s", mark, c.name(), c.detail()));
                if (!c.ok() && !c.fix().isEmpty()) {
                    out.line(String.format("     %-17s fix: %s", "", c.fix()));
                }
            }
            out.line(report.ok() ? "verdict: jobs run sandboxed here (" + report.plan().get().summary() + ")"
                    : "verdict: this machine cannot sandbox jobs; `rhizome node` will refuse to run them");
        }
        return report.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
