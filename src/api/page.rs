//! The query page at `/`: a SPARQL form that shows results as a table (its own issue will grow it).

use axum::response::Html;

pub(super) async fn index() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>twinpath · SPARQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
textarea{width:100%;height:12rem;font-family:ui-monospace,monospace;font-size:.9rem}
table{border-collapse:collapse;margin-top:1rem;font-size:.85rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
th{background:#f2f2f2}#status{margin-left:1rem;color:#555}pre{background:#f7f7f7;padding:1rem;overflow:auto}
</style></head><body>
<h1>twinpath</h1>
<p>Knowledge graph and pathway reasoning for virtual human twins. Query the store with SPARQL 1.1
(the default graph is the union of all graphs; <a href="/graphs">graphs</a> · <a href="/queries">named queries</a> · <a href="/health">health</a>).</p>
<form id="f" method="get" action="/sparql">
<textarea name="query" id="q">SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g</textarea>
<p><label>Results as <select name="format" id="fmt">
<option value="">table</option><option>json</option><option>xml</option><option>csv</option><option>tsv</option>
<option>turtle</option><option>ntriples</option><option>rdfxml</option><option>jsonld</option></select></label>
<button type="submit">Run</button><span id="status"></span></p>
</form>
<div id="out"></div>
<script>
const f=document.getElementById('f'),out=document.getElementById('out'),status=document.getElementById('status');
f.addEventListener('submit',async e=>{
  const fmt=document.getElementById('fmt').value; if(fmt) return; e.preventDefault();
  status.textContent='running…'; out.textContent=''; const t0=performance.now();
  const r=await fetch('/sparql',{method:'POST',headers:{'Content-Type':'application/sparql-query','Accept':'application/sparql-results+json, text/turtle;q=0.9'},body:document.getElementById('q').value});
  const type=r.headers.get('content-type')||''; const ms=(performance.now()-t0).toFixed(0);
  if(!r.ok){const j=await r.json().catch(()=>({message:r.statusText}));status.textContent=`${r.status}: ${j.message}`;return;}
  if(!type.includes('json')){const pre=document.createElement('pre');pre.textContent=await r.text();out.append(pre);status.textContent=`${ms} ms`;return;}
  const j=await r.json();
  if('boolean' in j){out.textContent=String(j.boolean);status.textContent=`${ms} ms`;return;}
  const vars=j.head.vars,table=document.createElement('table'),head=table.insertRow();
  vars.forEach(v=>{const th=document.createElement('th');th.textContent=v;head.append(th)});
  j.results.bindings.forEach(b=>{const row=table.insertRow();vars.forEach(v=>{row.insertCell().textContent=b[v]?b[v].value:''})});
  out.append(table); status.textContent=`${j.results.bindings.length} rows · ${ms} ms`;
});
</script></body></html>"#;
