"""An independent reader (and writer) of Delta tables for the tests: the `deltalake` Python
package, and a local S3 server (moto). Run by tests/support/delta.rs.

    delta.py read URI           prints {"schema", "rows", "version", "description"} as JSON
    delta.py foreign URI        writes a table that connector did not make
    delta.py row_groups URI     prints the rows of each row group of each data file (local)
    delta.py s3 PORT BUCKET     serves S3 on 127.0.0.1:PORT with BUCKET until stdin closes
"""

import json
import os
import sys


def storage_options():
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")} or None


def read(uri):
    from deltalake import DeltaTable

    table = DeltaTable(uri, storage_options=storage_options())
    data = table.to_pyarrow_table()
    print(
        json.dumps(
            {
                "schema": [[f.name, str(f.type)] for f in data.schema],
                "rows": data.to_pylist(),
                "version": table.version(),
                "description": table.metadata().description,
            },
            default=str,
        )
    )


def row_groups(uri):
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    table = DeltaTable(uri, storage_options=storage_options())
    files = []
    for path in table.file_uris():
        meta = pq.ParquetFile(path).metadata
        files.append([meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    print(json.dumps(files))


def foreign(uri):
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(uri, pa.table({"id": [1], "name": ["x"]}), storage_options=storage_options())


def s3(port, bucket):
    import threading

    import boto3
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # moto checks `If-None-Match: *` and then stores the object as two steps, so two racing
    # puts of one key can both succeed; S3 refuses the second. Delta's commits and the run
    # locks rely on that refusal, so requests are answered one at a time here.
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        with one_at_a_time:
            return list(app(environ, start_response))

    server = make_server(
        "127.0.0.1", int(port), serialized, threaded=True, request_handler=MotoRequestHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    print("ready", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"read": read, "foreign": foreign, "row_groups": row_groups, "s3": s3}[command](*args)
    # deltalake's native threads can abort the interpreter's shutdown ("terminate called
    # without an active exception"); the work is done and flushed by now.
    sys.stdout.flush()
    os._exit(0)
