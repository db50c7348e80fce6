"""The catalogue as DCAT-AP 3.0 (rdflib): Turtle, RDF/XML or JSON-LD, paged with Hydra as
ckanext-dcat does. Every node carries its class and every mandatory property, so that the
DCAT-AP 3.0.1 SHACL shapes (constraints and ranges) find no violation."""

from __future__ import annotations

from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from rengo.core.wards import JOINT_NAME_EN, JOINT_NAME_JA, ward_by_code
from rengo.opendata.catalogue import CATEGORIES, LICENSE_URLS
from rengo.opendata.models import Dataset, Resource
from rengo.opendata.standards import standard_types

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = {
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "annual": "ANNUAL",
    "irregular": "IRREG",
}
FILE_TYPES = {"CSV": "CSV", "JSON": "JSON", "GEOJSON": "GEOJSON", "XLSX": "XLSX", "PDF": "PDF"}
MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json", "GEOJSON": "application/geo+json"}
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
MEDIA = {
    "ttl": "text/turtle",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
}


def _typed(graph: Graph, node: URIRef | BNode, kind: URIRef) -> URIRef | BNode:
    graph.add((node, RDF.type, kind))
    return node


def _agent(graph: Graph, base: str, code: str | None) -> URIRef:
    if code is None:
        node = URIRef(f"{base}/opendata")
        names = [(JOINT_NAME_JA, "ja"), (JOINT_NAME_EN, "en")]
    else:
        ward = ward_by_code(code)
        node = URIRef(f"{base}/opendata?ward={code}")
        names = [(ward.name_ja, "ja"), (ward.name("en"), "en")]
    _typed(graph, node, FOAF.Agent)
    for name, lang in names:
        graph.add((node, FOAF.name, Literal(name, lang=lang)))
    return node


def _stamp(value: datetime) -> Literal:
    return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _distribution(graph: Graph, base: str, dataset: Dataset, resource: Resource) -> URIRef:
    node = URIRef(f"{base}/opendata/resource/{resource.id}")
    _typed(graph, node, DCAT.Distribution)
    graph.add((node, DCTERMS.title, Literal(resource.name, lang="ja")))
    url = URIRef(resource.url or f"{base}/opendata/resource/{resource.id}.csv")
    graph.add((node, DCAT.accessURL, url))
    graph.add((node, DCAT.downloadURL, url))
    kind = FILE_TYPES.get(resource.format.upper())
    if kind:
        fmt = URIRef(f"{EU}file-type/{kind}")
        graph.add((node, DCTERMS["format"], _typed(graph, fmt, DCTERMS.MediaTypeOrExtent)))
    media = MEDIA_TYPES.get(resource.format.upper())
    if media:
        iana = URIRef(f"https://www.iana.org/assignments/media-types/{media}")
        graph.add((node, DCAT.mediaType, _typed(graph, iana, DCTERMS.MediaType)))
    licence = LICENSE_URLS.get(dataset.license_id)
    if licence:
        graph.add((node, DCTERMS.license, _typed(graph, URIRef(licence), DCTERMS.LicenseDocument)))
    graph.add((node, DCTERMS.modified, _stamp(resource.modified_at)))
    return node


def _dataset(
    graph: Graph, base: str, dataset: Dataset, resources: list[Resource], scheme: URIRef
) -> URIRef:
    node = URIRef(f"{base}/opendata/dataset/{dataset.name}")
    _typed(graph, node, DCAT.Dataset)
    graph.add((node, DCTERMS.identifier, Literal(dataset.id)))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="ja")))
    graph.add((node, DCTERMS.description, Literal(dataset.notes or dataset.title, lang="ja")))
    graph.add((node, DCTERMS.publisher, _agent(graph, base, dataset.tenant)))
    graph.add((node, DCTERMS.issued, _stamp(dataset.created_at)))
    graph.add((node, DCTERMS.modified, _stamp(dataset.modified_at)))
    graph.add((node, DCAT.landingPage, _typed(graph, node, FOAF.Document)))
    for tag in dataset.tags or ():
        graph.add((node, DCAT.keyword, Literal(tag, lang="ja")))
    if dataset.category in CATEGORIES:
        concept = URIRef(f"{base}/opendata?category={dataset.category}")
        _typed(graph, concept, SKOS.Concept)
        graph.add((concept, SKOS.prefLabel, Literal(CATEGORIES[dataset.category].ja, lang="ja")))
        graph.add((concept, SKOS.inScheme, scheme))
        graph.add((node, DCAT.theme, concept))
    frequency = URIRef(f"{EU}frequency/{FREQUENCY.get(dataset.frequency, 'UNKNOWN')}")
    graph.add((node, DCTERMS.accrualPeriodicity, _typed(graph, frequency, DCTERMS.Frequency)))
    stype = standard_types().get(dataset.standard_type)
    if stype is not None:
        standard = URIRef(f"{base}/api/v1/opendata/types/{stype.key}")
        _typed(graph, standard, DCTERMS.Standard)
        graph.add((standard, DCTERMS.title, Literal(stype.title_ja, lang="ja")))
        graph.add((node, DCTERMS.conformsTo, standard))
    if dataset.contact:
        contact = BNode()
        _typed(graph, contact, VCARD.Kind)
        graph.add((contact, VCARD.fn, Literal(dataset.contact, lang="ja")))
        graph.add((node, DCAT.contactPoint, contact))
    for resource in resources:
        graph.add((node, DCAT.distribution, _distribution(graph, base, dataset, resource)))
    return node


def catalogue(
    base: str,
    datasets: list[tuple[Dataset, list[Resource]]],
    *,
    page: int,
    per_page: int,
    total: int,
    path: str,
) -> Graph:
    """One page of the catalogue; ``path`` is the URL of the page without its query."""
    graph = Graph()
    graph.bind("dcat", DCAT)
    graph.bind("dct", DCTERMS)
    graph.bind("foaf", FOAF)
    graph.bind("hydra", HYDRA)
    graph.bind("vcard", VCARD)
    node = URIRef(f"{base}/catalog")
    _typed(graph, node, DCAT.Catalog)
    graph.add((node, DCTERMS.title, Literal("Data for Citizen Tokyo", lang="en")))
    graph.add((node, DCTERMS.title, Literal("東京23区共同オープンデータカタログ", lang="ja")))
    graph.add(
        (
            node,
            DCTERMS.description,
            Literal("東京23区のオープンデータを統一形式で公開するカタログ", lang="ja"),
        )
    )
    graph.add((node, DCTERMS.publisher, _agent(graph, base, None)))
    graph.add((node, FOAF.homepage, _typed(graph, URIRef(f"{base}/opendata"), FOAF.Document)))
    japanese = URIRef(f"{EU}language/JPN")
    graph.add((node, DCTERMS.language, _typed(graph, japanese, DCTERMS.LinguisticSystem)))
    scheme = URIRef(f"{base}/api/3/action/group_list")
    _typed(graph, scheme, SKOS.ConceptScheme)
    graph.add((scheme, DCTERMS.title, Literal("分類", lang="ja")))
    graph.add((node, DCAT.themeTaxonomy, scheme))
    for dataset, resources in datasets:
        graph.add((node, DCAT.dataset, _dataset(graph, base, dataset, resources, scheme)))
    last = max(1, -(-total // per_page))
    view = URIRef(f"{path}?page={page}")
    _typed(graph, view, HYDRA.PagedCollection)
    graph.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(per_page, datatype=XSD.integer)))
    graph.add((view, HYDRA.firstPage, Literal(f"{path}?page=1")))
    graph.add((view, HYDRA.lastPage, Literal(f"{path}?page={last}")))
    if page < last:
        graph.add((view, HYDRA.nextPage, Literal(f"{path}?page={page + 1}")))
    if page > 1:
        graph.add((view, HYDRA.previousPage, Literal(f"{path}?page={page - 1}")))
    return graph
