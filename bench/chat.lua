-- wrk script: a small non-streamed chat completion, as an SDK would send it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"bench","messages":[{"role":"system","content":"You are terse."},' ..
           '{"role":"user","content":"Say hello to the benchmark."}],"max_tokens":32}'
