#!/usr/bin/env python3
"""scripts/machine.py: describe this machine as JSON (results/RUN/machine.json).

Everything a benchmark number depends on and a reader cannot see from the
number: CPU model, cores and threads, caches, NUMA nodes, kernel,
virtualisation, frequency governor, CPU-bug mitigations, transparent huge
pages, compiler, Google Benchmark version, proclab commit, host and date.
Read from /proc and /sys (standard library only); anything that cannot be
read is "unavailable", never left out.

Also: the hypervisor's name as the CPU reports it (lscpu's "Hypervisor
vendor": KVM, Microsoft, ...; "none" without a hypervisor flag), the CPU
clock when known, what one timer read costs (build/bin/timer_cost), and the
load average before the run; `--after FILE` adds the load average after it
(and the end time) to an existing machine.json, so a report can flag a run
that other processes disturbed; and, when cpu_steadiness.csv lies beside it
(build/bin/cpu_steady, run by scripts/bench.sh before the first family and
after each one), how steady the CPUs' own speed was: cpu_speed_cv, the
largest over the CPUs of the coefficient of variation of a fixed loop's
timings, and noisy_host when it is above 5 % (no benchmark can then be
expected to repeat within 5 %: a neighbour on the host, invisible in the
guest's load, took the CPUs' speed away now and then).

Usage: scripts/machine.py [--help]             (JSON on stdout)
       scripts/machine.py --after MACHINE.json (adds load_after, date_utc_end)
"""

import datetime
import glob
import json
import os
import platform
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import results as R  # noqa: E402
NA = "unavailable"


def read(path, default=NA):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def run(argv, default=NA):
    """First line of a command's stdout, or default when it fails."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10,
                             cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return default
    line = out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
    return line if out.returncode == 0 and line else default


def cpuinfo():
    """(model, hypervisor flag, physical cores) from /proc/cpuinfo."""
    model, hypervisor, cores = NA, False, set()
    phys = core = None
    for line in read("/proc/cpuinfo", "").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and model == NA:
            model = value
        elif key == "flags" and "hypervisor" in value.split():
            hypervisor = True
        elif key == "physical id":
            phys = value
        elif key == "core id":
            core = value
        elif key == "" and core is not None:
            cores.add((phys, core))
            phys = core = None
    if core is not None:
        cores.add((phys, core))
    return model, hypervisor, len(cores) or None


def caches():
    """Caches seen by cpu0: level, type, size, and how many CPUs share one."""
    out = []
    for d in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        size = read(d + "/size")
        out.append({
            "level": int(read(d + "/level", "0") or 0),
            "type": read(d + "/type"),
            "size": size,
            "size_kib": _kib(size),
            "shared_cpu_list": read(d + "/shared_cpu_list"),
            "source": "sysfs",
        })
    return out or caches_from_getconf()


def caches_from_getconf():
    """Fallback when sysfs has no cache directory (some VMs): glibc's
    sysconf(_SC_LEVEL*_CACHE_SIZE), which asks the CPU (cpuid)."""
    out = []
    for level, kind, var in ((1, "Data", "LEVEL1_DCACHE_SIZE"),
                             (1, "Instruction", "LEVEL1_ICACHE_SIZE"),
                             (2, "Unified", "LEVEL2_CACHE_SIZE"),
                             (3, "Unified", "LEVEL3_CACHE_SIZE"),
                             (4, "Unified", "LEVEL4_CACHE_SIZE")):
        value = run(["getconf", var], "")
        if value.isdigit() and int(value) > 0:
            kib = int(value) // 1024
            out.append({"level": level, "type": kind, "size": "%dK" % kib,
                        "size_kib": kib, "source": "getconf (cpuid)"})
    return out


def _kib(size):
    units = {"K": 1, "M": 1024, "G": 1024 * 1024}
    if size and size[-1] in units and size[:-1].isdigit():
        return int(size[:-1]) * units[size[-1]]
    return int(size) // 1024 if size.isdigit() else None


def selected(path):
    """The [bracketed] choice of a sysfs setting like THP's 'always [madvise] never'."""
    text = read(path)
    if "[" in text:
        return text[text.index("[") + 1:text.index("]")]
    return text


def virtualisation(hypervisor_flag):
    how = NA
    try:
        out = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True,
                             timeout=10)
        how = out.stdout.strip() or NA   # prints "none" and exits 1 on bare metal
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"systemd_detect_virt": how, "cpuinfo_hypervisor_flag": hypervisor_flag}


def hypervisor_name(hypervisor_flag):
    """KVM, Microsoft, VMware ... as lscpu reads it from the CPU (cpuid), else
    /sys/hypervisor/type (Xen), else 'unnamed' with the flag, 'none' without."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10,
                             env=dict(os.environ, LC_ALL="C"))
        for line in out.stdout.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Hypervisor vendor" and value.strip():
                return value.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    xen = read("/sys/hypervisor/type", "")
    if xen:
        return xen
    return "unnamed" if hypervisor_flag else "none"


def cpu_mhz():
    """The current clock of cpu0 in MHz (cpufreq, else /proc/cpuinfo), or None."""
    khz = read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "")
    if khz.isdigit():
        return round(int(khz) / 1000)
    for line in read("/proc/cpuinfo", "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "cpu MHz":
            try:
                return round(float(value))
            except ValueError:
                return None
    return None


def timer_ns():
    """build/bin/timer_cost's figure (ns per clock read), or None when not built."""
    bindir = os.environ.get("PROCLAB_BIN") or os.path.join(
        ROOT, os.environ.get("PROCLAB_BUILD", "build"), "bin")
    text = run([os.path.join(bindir, "timer_cost")], "")
    if text.startswith("timer_ns="):
        try:
            return float(text.split("=", 1)[1])
        except ValueError:
            pass
    return None


def loadavg():
    """The 1, 5 and 15 minute load averages."""
    try:
        return [float(x) for x in read("/proc/loadavg", "").split()[:3]]
    except ValueError:
        return NA


def cpu_ticks():
    """CPU time so far, in clock ticks: the machine's busy and total time
    (/proc/stat) and what the caller's finished children used (cutime +
    cstime of our parent, the bench runner, which waits for every benchmark
    it starts).  Before and after a run, the difference tells how much of
    the machine other processes used meanwhile."""
    fields = read("/proc/stat", "").splitlines()[0].split()[1:9]
    try:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields)
    except ValueError:
        return None
    ours = 0
    stat = read("/proc/%d/stat" % os.getppid(), "")
    if ")" in stat:
        rest = stat.rsplit(")", 1)[1].split()
        ours = int(rest[13]) + int(rest[14])       # cutime, cstime
    return {"busy": user + nice + system + irq + softirq, "steal": steal,
            "total": user + nice + system + idle + iowait + irq + softirq + steal,
            "ours": ours, "runner_pid": os.getppid()}


# Above this share of the CPUs used by other processes during a run, the
# report calls the machine busy.
BUSY_SHARE = 0.10


def mem_total_mib():
    for line in read("/proc/meminfo", "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return None


def describe():
    model, hypervisor, cores = cpuinfo()
    vulns = {os.path.basename(p): read(p)
             for p in sorted(glob.glob("/sys/devices/system/cpu/vulnerabilities/*"))}
    commit = run(["git", "rev-parse", "HEAD"], "unknown")
    dirty = None
    if commit != "unknown":
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], "") != ""
    return {
        "hostname": socket.gethostname(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc)
                            .strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_model": model,
        "cpus_online": os.cpu_count(),
        "cpus_allowed": len(os.sched_getaffinity(0)),
        "physical_cores": cores,
        "threads_per_core": (os.cpu_count() // cores) if cores else None,
        "caches": caches(),
        "numa_nodes": len(glob.glob("/sys/devices/system/node/node[0-9]*")) or 1,
        "memory_mib": mem_total_mib(),
        "kernel": "%s %s" % (platform.release(), platform.version()),
        "virtualisation": virtualisation(hypervisor),
        "hypervisor": hypervisor_name(hypervisor),
        "cpu_mhz": cpu_mhz(),
        "timer_ns": timer_ns(),
        "load_before": loadavg(),
        "cpu_ticks_before": cpu_ticks(),
        "governor": read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "mitigations": vulns or NA,
        "thp_enabled": selected("/sys/kernel/mm/transparent_hugepage/enabled"),
        "thp_defrag": selected("/sys/kernel/mm/transparent_hugepage/defrag"),
        "aslr": read("/proc/sys/kernel/randomize_va_space"),
        "compiler": run(["cc", "--version"]),
        "google_benchmark": run(["dpkg-query", "-W", "-f=${Version}", "libbenchmark-dev"]),
        "proclab_commit": commit,
        "proclab_tree_modified": dirty,
    }


NOISY_HOST_CV = 0.05


def cpu_speed(csv_path):
    """{"cpu_speed_cv": .., "cpu_speed_timings": n, "cpu_speed_points": k,
    "noisy_host": bool} from cpu_steadiness.csv (LABEL,CPU,INDEX,NS rows
    under a header), or {} when the file is absent or holds too little."""
    per_cpu, labels = {}, set()
    try:
        with open(csv_path) as f:
            for i, line in enumerate(f):
                parts = line.strip().split(",")
                if i == 0 or len(parts) != 4:
                    continue
                try:
                    per_cpu.setdefault(int(parts[1]), []).append(float(parts[3]))
                    labels.add(parts[0])
                except ValueError:
                    continue
    except OSError:
        return {}
    cvs = []
    for times in per_cpu.values():
        if len(times) >= 3:
            mean = sum(times) / len(times)
            var = sum((t - mean) ** 2 for t in times) / (len(times) - 1)
            cvs.append(var ** 0.5 / mean if mean else 0.0)
    if not cvs:
        return {}
    worst = max(cvs)
    return {"cpu_speed_cv": round(worst, 4),
            "cpu_speed_timings": sum(len(t) for t in per_cpu.values()),
            "cpu_speed_points": len(labels),
            "noisy_host": worst > NOISY_HOST_CV}


def add_after(path):
    """Add the load average after the run to an existing machine.json."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("machine.py: --after %s: %s" % (path, e), file=sys.stderr)
        return 2
    doc["load_after"] = loadavg()
    before, after = doc.get("cpu_ticks_before"), cpu_ticks()
    if (isinstance(before, dict) and after and before.get("runner_pid") == after["runner_pid"]
            and after["total"] > before["total"]):
        total = after["total"] - before["total"]
        others = (after["busy"] - before["busy"]) - (after["ours"] - before["ours"])
        doc["others_cpu_share"] = round(max(others, 0) / total, 4)
        doc["steal_share"] = round((after["steal"] - before["steal"]) / total, 4)
        doc["busy_machine"] = doc["others_cpu_share"] > BUSY_SHARE
    doc.update(cpu_speed(os.path.join(os.path.dirname(os.path.abspath(path)),
                                      "cpu_steadiness.csv")))
    doc["date_utc_end"] = datetime.datetime.now(datetime.timezone.utc) \
                                  .strftime("%Y-%m-%dT%H:%M:%SZ")
    R.write_json(path, doc)
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--after":
        return add_after(sys.argv[2])
    if len(sys.argv) > 1:
        if sys.argv[1] in ("-h", "--help") and len(sys.argv) == 2:
            print("Usage: scripts/machine.py [--help]             (JSON on stdout)")
            print("       scripts/machine.py --after MACHINE.json (adds load_after, date_utc_end,")
            print("                                   others' CPU share, and cpu_speed_cv from")
            print("                                   cpu_steadiness.csv beside it)")
            return 0
        print("machine.py: unexpected argument '%s'" % sys.argv[1], file=sys.stderr)
        return 2
    json.dump(describe(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
