"""`python manage.py bench --size small|medium|full`: generate a data set in a scratch
PostgreSQL database and measure the engine on it (see the README's Performance section)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import runner
from bench.generate import SIZES


class Command(BaseCommand):
    help = (
        "Generate a benchmark data set in a scratch PostgreSQL database (DATABASE_URL) and "
        "measure approvals, the inbox, the sweep and verify_audit. The database is emptied first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument(
            "--compare",
            default="",
            help="two or more sizes, e.g. small,medium: run each and print the growth",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even though the database holds data the benchmark did not make",
        )
        parser.add_argument(
            "--no-reset",
            action="store_true",
            help="add the data set to the database as it is instead of emptying it first",
        )
        parser.add_argument("--output", default="", help="where to write the JSON results")
        parser.add_argument(
            "--generate-only",
            action="store_true",
            help="generate the data set and stop (copy it with createdb -T to measure it often)",
        )
        parser.add_argument(
            "--measure-only",
            action="store_true",
            help="measure the data set generated earlier in this database (measuring changes it: "
            "approvals and the sweep act on it, so measure a copy)",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "基准测试只能在 PostgreSQL 上运行，请用 DATABASE_URL 指定一个专用的空数据库。 "
                "The benchmark needs PostgreSQL: point DATABASE_URL at a scratch database, e.g. "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench make bench SIZE=medium"
            )
        sizes = self._sizes(options)
        if options["generate_only"] and options["measure_only"]:
            raise CommandError("--generate-only 与 --measure-only 只能选一个。")
        if options["measure_only"] and len(sizes) > 1:
            raise CommandError("--measure-only 只能测一个规模（一个数据库只存一份数据）。")
        runner.ensure_database()
        try:
            if not options["measure_only"]:  # measuring only empties nothing
                runner.check_database(force=options["force"])
        except runner.NotABenchDatabase as refused:
            raise CommandError(
                f"数据库 {refused} 中有不是基准测试生成的数据，基准测试会清空它，已拒绝运行；"
                f"确需如此请加 --force。 The database {refused} holds data the benchmark did not "
                "make and would be emptied: refused (add --force to run anyway)."
            ) from refused
        path = Path(options["output"]) if options["output"] else runner.results_path()
        results: list[dict] = []
        for size in sizes:
            try:
                result = runner.run(
                    size,
                    seed=options["seed"],
                    reset=not options["no_reset"],
                    log=self.stdout.write,
                    save=lambda partial: runner.write_results([*results, partial], path),
                    generate_only=options["generate_only"],
                    measure_only=options["measure_only"],
                )
            except runner.NoDataSet as missing:
                raise CommandError(str(missing)) from missing
            results.append(result)
        if options["generate_only"]:
            for result in results:
                self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            done = "数据已生成；用 --measure-only 测量（最好测其副本）"
            self.stdout.write(self.style.SUCCESS(done))
            return
        self.stdout.write(runner.table(results))
        runner.write_results(results, path)
        self.stdout.write(self.style.SUCCESS(f"results written to {path}"))

    def _sizes(self, options) -> list[str]:
        if not options["compare"]:
            return [options["size"]]
        sizes = [size.strip() for size in options["compare"].split(",") if size.strip()]
        unknown = [size for size in sizes if size not in SIZES]
        if unknown or len(sizes) < 2:
            raise CommandError(
                f"--compare 需要至少两个规模（{', '.join(sorted(SIZES))}），用逗号分隔。 "
                "--compare needs two or more of the sizes, comma-separated."
            )
        return sizes
