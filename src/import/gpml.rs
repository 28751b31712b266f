//! How does a WikiPathways drawing (GPML 2013a) become a pathway in the twinpath vocabulary?
//!
//! - Each DataNode becomes an entity `<pathway>/<GraphId>` typed by its Type (GeneProduct and
//!   Rna → `tw:Gene`, Protein → `tw:Protein`, Metabolite → `tw:Metabolite`, Complex →
//!   `tw:Complex`, Pathway → `tw:Pathway`), labelled by its TextLabel, with its Xref as a
//!   `tw:xref` identifiers.org IRI (Entrez Gene → `ncbigene:`, Ensembl → `ensembl:`, UniProt →
//!   `uniprot:`, HGNC → `hgnc.symbol:`, ChEBI → `CHEBI:`, …). Identity is by these
//!   identifiers: the reasoning network merges a node with the map's gene that has the same one.
//! - Each Group becomes a `tw:Complex` (style Complex) or a `tw:Family` (any other style), with
//!   its members (`tw:hasComponent`, `tw:hasMember`); reasoning expands edges onto members.
//! - Each Interaction becomes an interaction from its first point's node to its last point's
//!   (reversed when only the first point carries the arrowhead), signed by the arrowhead:
//!   Arrow and the MIM stimulation, necessary-stimulation, catalysis, conversion and
//!   transcription-translation heads are `tw:Activation`; TBar and mim-inhibition are
//!   `tw:Inhibition`; binding, modification, cleavage, translocation, other heads and plain
//!   lines are `tw:Association` (no sign). The MIM head's SBO term is its `tw:mechanism`.
//! - Lines attached to an Anchor (a point on another interaction's line) make that line a
//!   process: headless lines into its anchors are its inputs, lines out of them its outputs,
//!   and a line with an arrowhead into an anchor modifies it. A modifier acts on the process's
//!   outputs with its own sign (a catalyst of A → B activates B); a process whose own ends are
//!   not attached (as Reactome-converted pathways draw reactions) converts each input into
//!   each output (positive, SBO conversion, unless its own arrowhead says otherwise).
//! - The interaction's own literature references become `tw:evidence`; the pathway's go on the
//!   pathway. Lines whose ends are not attached to a node, group or anchor are skipped and
//!   counted in the pathway's `rdfs:comment`.

use super::Import;
use crate::error::{Error, Position, Result};
use crate::vocab;
use oxigraph::model::{Literal, NamedNode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::path::Path;

/// The identifiers.org prefix for a GPML Xref database, and how to write the accession.
fn xref_iri(database: &str, id: &str) -> Option<String> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    let (prefix, accession) = match database.trim() {
        "Entrez Gene" | "NCBI Gene" | "GeneID" => ("ncbigene", id),
        "Ensembl" | "Ensembl Human" => ("ensembl", id),
        "Uniprot-TrEMBL" | "Uniprot-SwissProt" | "UniProtKB" | "UniProt" => ("uniprot", id),
        "HGNC" => ("hgnc.symbol", id),
        "HGNC Accession number" => ("hgnc", id.trim_start_matches("HGNC:")),
        "ChEBI" => ("CHEBI", id.trim_start_matches("CHEBI:")),
        "PubChem-compound" | "PubChem Compound" => ("pubchem.compound", id),
        "HMDB" => ("hmdb", id),
        "DrugBank" => ("drugbank", id),
        "Wikidata" => ("wikidata", id),
        "Reactome" => ("reactome", id),
        "CAS" => ("cas", id),
        "Chemspider" | "ChemSpider" => ("chemspider", id),
        "WikiPathways" => ("wikipathways", id),
        "KEGG Compound" => ("kegg.compound", id),
        "ChEMBL compound" => ("chembl.compound", id),
        "LIPID MAPS" => ("lipidmaps", id),
        "miRBase" | "miRBase Sequence" => ("mirbase", id),
        "RefSeq" => ("refseq", id),
        "KEGG Genes" => ("kegg.genes", id),
        "Rhea" => ("rhea", id),
        _ => return None,
    };
    Some(format!("https://identifiers.org/{prefix}:{accession}"))
}

/// The interaction class and SBO mechanism an arrowhead stands for.
fn arrowhead(head: Option<&str>) -> (&'static str, Option<&'static str>) {
    match head.unwrap_or("") {
        "Arrow" => ("Activation", None),
        "mim-stimulation" => ("Activation", Some("0000170")),
        "mim-necessary-stimulation" => ("Activation", Some("0000171")),
        "mim-catalysis" => ("Activation", Some("0000172")),
        "mim-conversion" => ("Activation", Some("0000182")),
        "mim-transcription-translation" => ("Activation", Some("0000183")),
        "TBar" => ("Inhibition", None),
        "mim-inhibition" => ("Inhibition", Some("0000169")),
        "mim-binding" => ("Association", Some("0000177")),
        "mim-cleavage" => ("Association", Some("0000178")),
        "mim-modification" => ("Association", Some("0000210")),
        "mim-translocation" => ("Association", Some("0000185")),
        _ => ("Association", None),
    }
}

fn entity_class(data_node_type: &str) -> &'static str {
    match data_node_type {
        "GeneProduct" | "Rna" | "RNA" => "Gene",
        "Protein" => "Protein",
        "Metabolite" => "Metabolite",
        "Complex" => "Complex",
        "Pathway" => "Pathway",
        _ => "BiologicalEntity",
    }
}

#[derive(Default)]
struct DataNode {
    graph_id: Option<String>,
    label: String,
    kind: String,
    group_ref: Option<String>,
    xref: Option<(String, String)>,
}

#[derive(Default)]
struct Group {
    group_id: Option<String>,
    graph_id: Option<String>,
    style: String,
    label: Option<String>,
    group_ref: Option<String>,
}

#[derive(Default)]
struct Point {
    graph_ref: Option<String>,
    arrow: Option<String>,
}

#[derive(Default)]
struct Interaction {
    graph_id: Option<String>,
    points: Vec<Point>,
    anchors: Vec<String>,
    refs: Vec<String>,
    line: u64,
}

#[derive(Default)]
struct Publication {
    id: String,
    db: String,
}

/// What an end of a line is attached to.
enum End {
    Node(String),
    Anchor(usize),
}

/// An interaction line, oriented: its ends, and what its arrowhead says.
#[derive(Default)]
struct Line {
    from: Option<End>,
    to: Option<End>,
    class: &'static str,
    mechanism: Option<&'static str>,
    headless: bool,
}

fn attributes(element: &BytesStart<'_>, file: &Path, line: u64) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| syntax(file, line, e.to_string()))?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute
            .unescape_value()
            .map_err(|e| syntax(file, line, e.to_string()))?
            .into_owned();
        out.insert(key, value);
    }
    Ok(out)
}

fn syntax(file: &Path, line: u64, message: String) -> Error {
    Error::Syntax {
        file: file.to_path_buf(),
        position: Some(Position { line, column: 1 }),
        message,
    }
}

/// Reads a GPML document into statements about `pathway`-scoped entities.
pub fn read(bytes: &[u8], file: &Path, import: &mut Import) -> Result<()> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::BadInput(format!("{}: not UTF-8 text: {e}", file.display())))?;
    // Lines are counted as the reader advances (events come in document order), so each
    // byte is scanned once.
    let mut counted = (0usize, 1u64);
    let mut line_at = |offset: u64| -> u64 {
        let end = (offset as usize).min(text.len());
        if end < counted.0 {
            counted = (0, 1);
        }
        counted.1 += text.as_bytes()[counted.0..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        counted.0 = end;
        counted.1
    };
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);

    let mut pathway_attrs: Option<HashMap<String, String>> = None;
    let mut pathway_refs = Vec::new();
    let mut description = None;
    let mut nodes: Vec<DataNode> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut interactions: Vec<Interaction> = Vec::new();
    let mut publications: HashMap<String, Publication> = HashMap::new();

    // Where we are: the element stack (local names) and the objects being read.
    let mut stack: Vec<String> = Vec::new();
    let mut publication: Option<(String, Publication)> = None;
    let mut text_target: Option<&'static str> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| syntax(file, line_at(reader.error_position()), e.to_string()))?;
        let line = line_at(position);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let parent = stack.last().map(String::as_str);
                let attrs = attributes(e, file, line)?;
                match (parent, name.as_str()) {
                    (None, "Pathway") => pathway_attrs = Some(attrs),
                    (None, other) => {
                        return Err(Error::BadInput(format!(
                            "{}: not a GPML pathway: the root element is <{other}>, not <Pathway>",
                            file.display()
                        )))
                    }
                    (Some("Pathway"), "DataNode") => nodes.push(DataNode {
                        graph_id: attrs.get("GraphId").cloned(),
                        label: attrs.get("TextLabel").cloned().unwrap_or_default(),
                        kind: attrs.get("Type").cloned().unwrap_or_default(),
                        group_ref: attrs.get("GroupRef").cloned(),
                        ..Default::default()
                    }),
                    (Some("DataNode"), "Xref") => {
                        if let Some(node) = nodes.last_mut() {
                            node.xref = Some((
                                attrs.get("Database").cloned().unwrap_or_default(),
                                attrs.get("ID").cloned().unwrap_or_default(),
                            ));
                        }
                    }
                    (Some("Pathway"), "Group") => groups.push(Group {
                        group_id: attrs.get("GroupId").cloned(),
                        graph_id: attrs.get("GraphId").cloned(),
                        style: attrs.get("Style").cloned().unwrap_or_default(),
                        label: attrs.get("TextLabel").cloned(),
                        group_ref: attrs.get("GroupRef").cloned(),
                    }),
                    (Some("Pathway"), "Interaction") => interactions.push(Interaction {
                        graph_id: attrs.get("GraphId").cloned(),
                        line,
                        ..Default::default()
                    }),
                    (Some("Graphics"), "Point") if stack.iter().any(|s| s == "Interaction") => {
                        if let Some(i) = interactions.last_mut() {
                            i.points.push(Point {
                                graph_ref: attrs.get("GraphRef").cloned(),
                                arrow: attrs.get("ArrowHead").cloned(),
                            });
                        }
                    }
                    (Some("Graphics"), "Anchor") if stack.iter().any(|s| s == "Interaction") => {
                        if let (Some(i), Some(id)) = (interactions.last_mut(), attrs.get("GraphId"))
                        {
                            i.anchors.push(id.clone());
                        }
                    }
                    (Some("Pathway"), "Comment")
                        if attrs.get("Source").map(String::as_str)
                            == Some("WikiPathways-description") =>
                    {
                        text_target = Some("description")
                    }
                    (Some("PublicationXref"), "ID") => text_target = Some("publication-id"),
                    (Some("PublicationXref"), "DB") => text_target = Some("publication-db"),
                    (_, "PublicationXref") => {
                        publication = Some((
                            attrs.get("id").cloned().unwrap_or_default(),
                            Publication::default(),
                        ))
                    }
                    (Some(owner), "BiopaxRef") => {
                        text_target = Some(match owner {
                            "Pathway" => "pathway-ref",
                            "Interaction" => "interaction-ref",
                            _ => "other-ref",
                        })
                    }
                    _ => {}
                }
                if !empty {
                    stack.push(name);
                }
            }
            Event::Text(t) => {
                let value = t
                    .unescape()
                    .map_err(|e| syntax(file, line, e.to_string()))?
                    .into_owned();
                match text_target {
                    Some("description") => description = Some(value),
                    Some("publication-id") => {
                        if let Some((_, p)) = publication.as_mut() {
                            p.id = value;
                        }
                    }
                    Some("publication-db") => {
                        if let Some((_, p)) = publication.as_mut() {
                            p.db = value;
                        }
                    }
                    Some("pathway-ref") => pathway_refs.push(value),
                    Some("interaction-ref") => {
                        if let Some(i) = interactions.last_mut() {
                            i.refs.push(value)
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "PublicationXref" {
                    if let Some((id, p)) = publication.take() {
                        publications.insert(id, p);
                    }
                }
                text_target = None;
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let attrs = pathway_attrs.ok_or_else(|| {
        Error::BadInput(format!(
            "{}: not a GPML pathway: no <Pathway> element",
            file.display()
        ))
    })?;

    // The pathway: named by its WikiPathways id (from the revision) when it has one.
    let version = attrs.get("Version").cloned();
    let wpid = version
        .as_deref()
        .and_then(|v| v.split('_').next())
        .filter(|v| v.starts_with("WP"))
        .map(str::to_owned);
    let local = wpid.clone().unwrap_or_else(|| import.local_name());
    let pathway = import.iri(&format!("{}wikipathways/{local}", vocab::ID))?;
    let evidence = |refs: &[String]| -> Vec<NamedNode> {
        refs.iter()
            .filter_map(|r| publications.get(r))
            .filter_map(|p| super::evidence_iri(&p.db, &p.id))
            .collect()
    };
    import.typed(&pathway, "Pathway");
    import.literal(
        &pathway,
        super::RDFS_LABEL,
        Literal::new_simple_literal(attrs.get("Name").cloned().unwrap_or_else(|| local.clone())),
    );
    if let Some(v) = &version {
        import.literal(
            &pathway,
            &format!("{}version", vocab::TW),
            Literal::new_simple_literal(v),
        );
    }
    if let Some(id) = &wpid {
        import.link_str(
            &pathway,
            "xref",
            &format!("https://identifiers.org/wikipathways:{id}"),
        )?;
    }
    if let Some(organism) = attrs.get("Organism") {
        import.literal(
            &pathway,
            &format!("{}organism", vocab::TW),
            Literal::new_simple_literal(organism),
        );
    }
    if let Some(d) = description {
        import.literal(
            &pathway,
            super::RDFS_COMMENT,
            Literal::new_simple_literal(d),
        );
    }
    for e in evidence(&pathway_refs) {
        import.link(&pathway, "evidence", &e);
    }

    // Entities.
    let mut by_graph_id: HashMap<String, NamedNode> = HashMap::new();
    let mut by_group_id: HashMap<String, NamedNode> = HashMap::new();
    let member_iri =
        |id: &str| format!("{}/{}", pathway.as_str(), vocab::encode_segment(id.trim()));
    for (index, n) in nodes.iter().enumerate() {
        let id = n
            .graph_id
            .clone()
            .unwrap_or_else(|| format!("node-{}", index + 1));
        let iri = import.iri(&member_iri(&id))?;
        import.typed(&iri, entity_class(&n.kind));
        let label = n.label.replace('\n', " ");
        if !label.trim().is_empty() {
            import.literal(
                &iri,
                super::RDFS_LABEL,
                Literal::new_simple_literal(label.trim()),
            );
        }
        match &n.xref {
            Some((db, acc)) => match xref_iri(db, acc) {
                Some(x) => import.link_str(&iri, "xref", &x)?,
                None if !acc.trim().is_empty() => import.literal(
                    &iri,
                    "http://purl.org/dc/terms/identifier",
                    Literal::new_simple_literal(format!("{db}:{acc}")),
                ),
                None => {}
            },
            None => {}
        }
        import.link(&pathway, "member", &iri);
        if let Some(g) = &n.graph_id {
            by_graph_id.insert(g.clone(), iri.clone());
        }
    }
    for (index, g) in groups.iter().enumerate() {
        let id = g
            .graph_id
            .clone()
            .or_else(|| g.group_id.clone())
            .unwrap_or_else(|| format!("group-{}", index + 1));
        let iri = import.iri(&member_iri(&id))?;
        let complex = g.style == "Complex";
        import.typed(&iri, if complex { "Complex" } else { "Family" });
        if let Some(label) = g.label.as_ref().filter(|l| !l.trim().is_empty()) {
            import.literal(
                &iri,
                super::RDFS_LABEL,
                Literal::new_simple_literal(label.trim()),
            );
        }
        import.link(&pathway, "member", &iri);
        if let Some(graph_id) = &g.graph_id {
            by_graph_id.insert(graph_id.clone(), iri.clone());
        }
        if let Some(group_id) = &g.group_id {
            by_group_id.insert(group_id.clone(), iri.clone());
        }
    }
    // Membership: data nodes and nested groups point at their group's GroupId.
    let member_links: Vec<(Option<&String>, Option<NamedNode>)> = nodes
        .iter()
        .map(|n| {
            (
                n.group_ref.as_ref(),
                n.graph_id
                    .as_ref()
                    .and_then(|g| by_graph_id.get(g).cloned()),
            )
        })
        .chain(groups.iter().map(|g| {
            (
                g.group_ref.as_ref(),
                g.graph_id
                    .as_ref()
                    .or(g.group_id.as_ref())
                    .and_then(|id| by_graph_id.get(id).or_else(|| by_group_id.get(id)).cloned()),
            )
        }))
        .collect();
    for (group_ref, member) in member_links {
        if let (Some(group_ref), Some(member)) = (group_ref, member) {
            if let Some(group) = by_group_id.get(group_ref) {
                let complex = groups
                    .iter()
                    .any(|g| g.group_id.as_ref() == Some(group_ref) && g.style == "Complex");
                import.link(
                    group,
                    if complex { "hasComponent" } else { "hasMember" },
                    &member,
                );
            }
        }
    }

    // Interactions: ends on nodes or groups, or on anchors of other interactions.
    let mut anchor_of: HashMap<&str, usize> = HashMap::new();
    for (index, i) in interactions.iter().enumerate() {
        for a in &i.anchors {
            anchor_of.insert(a.as_str(), index);
        }
    }
    let end = |graph_ref: &Option<String>| -> Option<End> {
        let r = graph_ref.as_deref()?;
        if let Some(iri) = by_graph_id.get(r) {
            return Some(End::Node(iri.as_str().to_owned()));
        }
        anchor_of.get(r).map(|i| End::Anchor(*i))
    };
    let lines: Vec<Line> = interactions
        .iter()
        .map(|i| {
            let (Some(first), Some(last)) = (i.points.first(), i.points.last()) else {
                return Line::default();
            };
            if i.points.len() < 2 {
                return Line::default();
            }
            let (from, to, head) = if last.arrow.is_none() && first.arrow.is_some() {
                (last, first, first.arrow.as_deref())
            } else {
                (first, last, last.arrow.as_deref())
            };
            let (class, mechanism) = arrowhead(head);
            Line {
                from: end(&from.graph_ref),
                to: end(&to.graph_ref),
                class,
                mechanism,
                headless: head.is_none(),
            }
        })
        .collect();
    // What each interaction line takes part in as a process (a reaction drawn as a line whose
    // anchors other lines attach to): its inputs, its outputs, and the lines modifying it.
    let node = |e: &Option<End>| match e {
        Some(End::Node(iri)) => Some(iri.clone()),
        _ => None,
    };
    let mut inputs: Vec<Vec<String>> = lines
        .iter()
        .map(|l| node(&l.from).into_iter().collect())
        .collect();
    let mut outputs: Vec<Vec<String>> = lines
        .iter()
        .map(|l| node(&l.to).into_iter().collect())
        .collect();
    for line in &lines {
        match (&line.from, &line.to) {
            (Some(End::Node(x)), Some(End::Anchor(r))) if line.headless => {
                inputs[*r].push(x.clone())
            }
            (Some(End::Anchor(r)), Some(End::Node(y))) => outputs[*r].push(y.clone()),
            _ => {}
        }
    }
    let mut edges: Vec<(usize, String, String, &'static str, Option<&'static str>)> = Vec::new();
    let mut skipped = 0;
    for (index, line) in lines.iter().enumerate() {
        match (&line.from, &line.to) {
            // A line between two entities.
            (Some(End::Node(x)), Some(End::Node(y))) => {
                edges.push((index, x.clone(), y.clone(), line.class, line.mechanism))
            }
            // A catalyst, stimulator or inhibitor of a process acts on what the process makes.
            (Some(End::Node(x)), Some(End::Anchor(r))) if !line.headless => {
                for y in &outputs[*r] {
                    edges.push((index, x.clone(), y.clone(), line.class, line.mechanism));
                }
            }
            // Inputs into and outputs out of a process are read with the process itself.
            (Some(End::Node(_)), Some(End::Anchor(_)))
            | (Some(End::Anchor(_)), Some(End::Node(_))) => {}
            _ => {
                // A process line: if other lines attach to it, it converts its inputs into its
                // outputs (positive, unless its own arrowhead says otherwise).
                let (ins, outs) = (&inputs[index], &outputs[index]);
                if ins.is_empty() || outs.is_empty() {
                    skipped += 1;
                    continue;
                }
                let (class, mechanism) = if line.class == "Association" {
                    ("Activation", Some("0000182"))
                } else {
                    (line.class, line.mechanism)
                };
                for x in ins {
                    for y in outs {
                        if x != y {
                            edges.push((index, x.clone(), y.clone(), class, mechanism));
                        }
                    }
                }
            }
        }
    }
    // Interactions keep their GraphId; one line that stands for several edges numbers them.
    let mut per_line: HashMap<usize, usize> = HashMap::new();
    for (index, _, _, _, _) in &edges {
        *per_line.entry(*index).or_default() += 1;
    }
    let mut seen: HashMap<usize, usize> = HashMap::new();
    for (index, source, target, class, mechanism) in edges {
        let i = &interactions[index];
        let base = i
            .graph_id
            .clone()
            .unwrap_or_else(|| format!("line-{}", i.line));
        let n = seen.entry(index).or_default();
        *n += 1;
        let id = if per_line[&index] > 1 {
            format!("{base}-{n}")
        } else {
            base
        };
        let iri = import.iri(&format!(
            "{}/interaction/{}",
            pathway.as_str(),
            vocab::encode_segment(id.trim())
        ))?;
        import.typed(&iri, class);
        import.link_str(&iri, "source", &source)?;
        import.link_str(&iri, "target", &target)?;
        if let Some(sbo) = mechanism {
            import.link_str(
                &iri,
                "mechanism",
                &format!("http://purl.obolibrary.org/obo/SBO_{sbo}"),
            )?;
        }
        for e in evidence(&i.refs) {
            import.link(&iri, "evidence", &e);
        }
        import.link(&pathway, "member", &iri);
    }
    if skipped > 0 {
        import.literal(
            &pathway,
            &format!("{}importNote", vocab::TW),
            Literal::new_simple_literal(format!(
                "{skipped} of {} interaction lines are not attached to a node, group or anchor at both ends and were not imported",
                interactions.len()
            )),
        );
    }
    Ok(())
}
