"""dlt's rest_api source against the demo server's /bench API, for bench/compare-dlt.sh.

usage: dlt_bench.py a BASE_URL RECORDS PAGE_SIZE WORKDIR [FORMAT]   (extract + normalize + load into
                                                            DuckDB, merge on id; FORMAT: dlt's
                                                            loader_file_format, default dlt's own)
       dlt_bench.py delta BASE_URL RECORDS PAGE_SIZE WORKDIR
                                                           (the same into Delta tables on local disk:
                                                            the filesystem destination, table_format
                                                            "delta", merge on id with dlt's `upsert`,
                                                            the strategy it has for Delta)
       dlt_bench.py b BASE_URL RECORDS PAGE_SIZE WORKDIR   (extract only: iterate the resource)
       dlt_bench.py pg BASE_URL RECORDS PAGE_SIZE WORKDIR PG_URL FORMAT
                                                           (the same into PostgreSQL, merge on id; FORMAT is
                                                            the loader file format: insert_values, dlt's
                                                            default, or csv, loaded with COPY)
Prints one JSON line: {"scenario", "records", "wall_s"}.
"""
import json
import os
import sys
import time

import dlt
from dlt.sources.rest_api import rest_api_source


def source(base_url, page_size, disposition="merge"):
    return rest_api_source(
        {
            "client": {
                "base_url": base_url.rstrip("/") + "/bench/",
                "paginator": {
                    "type": "page_number",
                    "base_page": 0,
                    "page_param": "page",
                    "total_path": "total",
                },
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": disposition},
            "resources": [
                {
                    "name": "items",
                    "endpoint": {
                        "path": "items",
                        "params": {"page_size": page_size},
                        "data_selector": "items",
                    },
                }
            ],
        }
    )


def main():
    scenario, base_url, records, page_size, workdir = sys.argv[1:6]
    file_format = sys.argv[6] if len(sys.argv) > 6 else None
    records, page_size = int(records), int(page_size)
    started = time.perf_counter()
    if scenario == "a":
        pipeline = dlt.pipeline(
            pipeline_name="bench_a",
            pipelines_dir=os.path.join(workdir, "pipelines"),
            destination=dlt.destinations.duckdb(os.path.join(workdir, "dlt_items.duckdb")),
            dataset_name="items_data",
        )
        pipeline.run(source(base_url, page_size), loader_file_format=file_format)
        wall = time.perf_counter() - started
        with pipeline.sql_client() as client:
            got = client.execute_sql("select count(*) from items")[0][0]
    elif scenario == "pg":
        pg_url, file_format = sys.argv[6:8]
        pipeline = dlt.pipeline(
            pipeline_name="bench_pg_" + file_format,
            pipelines_dir=os.path.join(workdir, "pipelines"),
            destination=dlt.destinations.postgres(credentials=pg_url),
            dataset_name="dlt_items_" + file_format,
        )
        pipeline.run(source(base_url, page_size), loader_file_format=file_format)
        wall = time.perf_counter() - started
        with pipeline.sql_client() as client:
            got = client.execute_sql("select count(*) from items")[0][0]
    elif scenario == "delta":
        pipeline = dlt.pipeline(
            pipeline_name="bench_delta",
            pipelines_dir=os.path.join(workdir, "pipelines"),
            destination=dlt.destinations.filesystem(bucket_url=os.path.join(workdir, "lake")),
            dataset_name="items_data",
        )
        upsert = {"disposition": "merge", "strategy": "upsert"}
        pipeline.run(source(base_url, page_size, upsert), table_format="delta")
        wall = time.perf_counter() - started
        from deltalake import DeltaTable

        got = DeltaTable(os.path.join(workdir, "lake", "items_data", "items")).to_pyarrow_table().num_rows
    else:
        got = 0
        for item in source(base_url, page_size):
            got += len(item) if isinstance(item, list) else 1
        wall = time.perf_counter() - started
    if got != records:
        sys.exit(f"dlt got {got} records, expected {records}")
    print(json.dumps({"scenario": scenario, "format": file_format or "default", "records": got, "wall_s": wall}))


if __name__ == "__main__":
    main()
