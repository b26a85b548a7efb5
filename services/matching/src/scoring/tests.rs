//! The rules of `README.md`, as a member or an advisor would notice them.

use chrono::NaiveDate;
use uuid::Uuid;

use super::evaluation::{Options, evaluate};
use super::*;

const ROUTES: &str = include_str!("../../data/routes.tsv");

/// Dijon, place Darcy.
const DIJON: Position = Position {
    latitude: 47.3220,
    longitude: 5.0415,
};

/// A point `km` kilometres east of Dijon.
fn east_of_dijon(km: f64) -> Position {
    Position {
        latitude: DIJON.latitude,
        longitude: DIJON.longitude + km / (111.32 * DIJON.latitude.to_radians().cos()),
    }
}

fn item(direction: Direction, class: ResourceClass, label: &str) -> Item {
    Item {
        id: Uuid::new_v4(),
        kind: ItemKind::Listing,
        tenant: "dijon".to_owned(),
        organisation_id: Uuid::new_v4(),
        organisation_name: "Entreprise".to_owned(),
        nace: String::new(),
        direction,
        resource_class: class,
        category: None,
        ewc_code: None,
        label: label.to_owned(),
        description: String::new(),
        yearly_quantity: None,
        position: Some(DIJON),
        available_from: None,
        available_until: None,
        exchange_mode: None,
    }
}

fn offer(class: ResourceClass, label: &str) -> Item {
    item(Direction::Out, class, label)
}

fn request(class: ResourceClass, label: &str) -> Item {
    item(Direction::In, class, label)
}

fn with_category(mut item: Item, category: &str) -> Item {
    item.category = Some(category.to_owned());
    item
}

fn with_ewc(mut item: Item, code: &str) -> Item {
    item.ewc_code = Some(code.to_owned());
    item
}

fn knowledge() -> &'static Knowledge {
    Knowledge::global()
}

#[test]
fn office_chairs_are_not_a_request_for_wood_offcuts() {
    let offcuts = with_category(
        offer(ResourceClass::Material, "Chutes de bois de menuiserie"),
        "wood/offcuts",
    );
    let mut chairs = with_category(
        request(ResourceClass::Equipment, "Chaises de bureau"),
        "furniture/office",
    );
    chairs.description = "Nous cherchons une dizaine de chaises pour notre open space".into();
    chairs.nace = "69.20Z".into();
    assert_eq!(score_substitution(&offcuts, &chairs, knowledge()), None);
}

#[test]
fn sister_categories_alone_are_not_a_match() {
    let knowledge = knowledge();
    let cardboard = with_category(
        offer(ResourceClass::Material, "Cartons"),
        "packaging/cardboard",
    );
    let film = with_category(
        request(ResourceClass::Material, "Film étirable"),
        "packaging/film",
    );
    assert_eq!(score_substitution(&cardboard, &film, knowledge), None);
    let it = with_category(
        offer(ResourceClass::Skill, "Dépannage informatique"),
        "skills/it",
    );
    let legal = with_category(
        request(ResourceClass::Skill, "Conseil juridique"),
        "skills/legal-admin",
    );
    assert_eq!(score_substitution(&it, &legal, knowledge), None);
}

#[test]
fn used_oil_is_not_process_water() {
    let mut oil = with_ewc(offer(ResourceClass::Waste, "Huiles usagées"), "130205*");
    oil.kind = ItemKind::Flow;
    oil.nace = "45.20A".into();
    let mut water = request(ResourceClass::Water, "Eau de process");
    water.kind = ItemKind::Flow;
    water.nace = "10.51A".into();
    water.description = "Eau pour le lavage des cuves".into();
    assert_eq!(score_substitution(&oil, &water, knowledge()), None);
}

#[test]
fn wood_offcuts_feed_a_biomass_boiler_with_the_route_and_its_source() {
    let mut offcuts = with_category(
        offer(ResourceClass::Material, "Chutes de bois non traité"),
        "wood/offcuts",
    );
    offcuts.nace = "16.23Z".into();
    let mut boiler = request(ResourceClass::Energy, "Plaquettes pour chaudière biomasse");
    boiler.nace = "55.10Z".into();
    let scored = score_substitution(&offcuts, &boiler, knowledge()).expect("proposed");
    assert!(scored.score >= SCORE_THRESHOLD && scored.score <= 1.0);
    assert!(
        scored.explanation.fr.contains("chaufferie biomasse"),
        "{}",
        scored.explanation.fr
    );
    assert!(
        scored.explanation.fr.contains("source"),
        "{}",
        scored.explanation.fr
    );
    assert!(
        scored
            .factors
            .iter()
            .any(|f| f.name == "activity" && f.value > 0.5)
    );
}

#[test]
fn waste_heat_reaches_a_nearby_greenhouse_in_words_a_firm_understands() {
    let mut heat = offer(ResourceClass::Energy, "Chaleur fatale des fours");
    heat.kind = ItemKind::Flow;
    heat.organisation_name = "La fonderie".into();
    heat.nace = "24.51Z".into();
    heat.yearly_quantity = Some(Quantity {
        amount: 3000.0,
        unit: "MWh".into(),
    });
    let mut greenhouse = request(ResourceClass::Energy, "Chauffage des serres");
    greenhouse.kind = ItemKind::Flow;
    greenhouse.organisation_name = "La serre maraîchère".into();
    greenhouse.nace = "01.13Z".into();
    greenhouse.position = Some(east_of_dijon(2.0));
    greenhouse.yearly_quantity = Some(Quantity {
        amount: 2500.0,
        unit: "MWh".into(),
    });
    let scored = score_substitution(&heat, &greenhouse, knowledge()).expect("proposed");
    let fr = &scored.explanation.fr;
    let en = &scored.explanation.en;
    assert!(
        fr.starts_with("La fonderie rejette « Chaleur fatale des fours » (3 000 MWh/an)"),
        "{fr}"
    );
    assert!(
        fr.contains("La serre maraîchère, à 2 km") && fr.contains("(2 500 MWh/an)"),
        "{fr}"
    );
    assert!(
        en.contains("(3,000 MWh/year)") && en.contains("2 km away"),
        "{en}"
    );
    assert!(fr.contains("serres"), "{fr}");
    let names: Vec<&str> = scored.factors.iter().map(|f| f.name).collect();
    for name in [
        "resource_class",
        "activity",
        "text",
        "distance",
        "quantity",
        "regulatory",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    assert!(scored.score > 0.6, "{scored:?}");
}

#[test]
fn a_hazardous_waste_says_the_receiver_must_be_authorised() {
    let mut oil = with_ewc(
        offer(ResourceClass::Waste, "Huiles de vidange"),
        "13 02 05*",
    );
    oil.nace = "45.20A".into();
    let mut refiner = request(ResourceClass::Waste, "Huiles usagées à régénérer");
    refiner.nace = "38.32Z".into();
    let scored = score_substitution(&oil, &refiner, knowledge()).expect("proposed");
    let (fr, en) = (&scored.explanation.fr, &scored.explanation.en);
    assert!(
        fr.contains("Déchet dangereux (code déchet 13 02 05*)"),
        "{fr}"
    );
    assert!(fr.contains("le receveur doit être autorisé"), "{fr}");
    assert!(
        en.contains("Hazardous waste") && en.contains("must be authorised"),
        "{en}"
    );
    let regulatory = scored
        .factors
        .iter()
        .find(|f| f.name == "regulatory")
        .expect("factor");
    assert!((regulatory.value - 0.6).abs() < 1e-9);
}

#[test]
fn a_plain_waste_asks_for_an_authorised_receiver_and_a_by_product_does_not() {
    let cardboard = with_ewc(offer(ResourceClass::Waste, "Cartons d'emballage"), "150101");
    let packer = with_category(
        request(ResourceClass::Material, "Cartons pour expédition"),
        "packaging/cardboard",
    );
    let scored = score_substitution(&cardboard, &packer, knowledge()).expect("proposed");
    assert!(
        scored
            .explanation
            .fr
            .contains("C'est un déchet (code déchet 15 01 01)")
    );
    assert!(scored.explanation.fr.contains("autorisé"));
    assert!(!scored.explanation.fr.contains("dangereux"));

    let grain = offer(ResourceClass::ByProduct, "Drêches de brasserie");
    let farm = request(ResourceClass::Material, "Aliment pour bétail");
    let scored = score_substitution(&grain, &farm, knowledge()).expect("proposed");
    assert!(
        scored.explanation.fr.contains("Sous-produit"),
        "{}",
        scored.explanation.fr
    );
    assert!(!scored.explanation.fr.contains("autorisé"));
}

#[test]
fn the_same_organisation_another_tenant_or_the_same_direction_are_never_paired() {
    let pallets = with_category(
        offer(ResourceClass::Material, "Palettes"),
        "packaging/pallets",
    );
    let wanted = with_category(
        request(ResourceClass::Material, "Palettes"),
        "packaging/pallets",
    );
    let knowledge = knowledge();
    assert!(score_substitution(&pallets, &wanted, knowledge).is_some());

    let mut same_organisation = wanted.clone();
    same_organisation.organisation_id = pallets.organisation_id;
    assert_eq!(
        score_substitution(&pallets, &same_organisation, knowledge),
        None
    );

    let mut other_tenant = wanted.clone();
    other_tenant.tenant = "besancon".into();
    assert_eq!(score_substitution(&pallets, &other_tenant, knowledge), None);

    let mut also_offered = pallets.clone();
    also_offered.organisation_id = Uuid::new_v4();
    assert_eq!(score_substitution(&pallets, &also_offered, knowledge), None);
    assert_eq!(score_substitution(&wanted, &pallets, knowledge), None);
}

#[test]
fn prepared_items_score_as_the_plain_call_does() {
    let knowledge = knowledge();
    let offcuts = with_category(
        offer(ResourceClass::Material, "Chutes de bois"),
        "wood/offcuts",
    );
    let panels = with_category(
        request(ResourceClass::Material, "Sciure pour panneaux"),
        "wood/panels",
    );
    let chairs = with_category(
        request(ResourceClass::Equipment, "Chaises"),
        "furniture/office",
    );
    let prepared = knowledge.prepare(&offcuts);
    for input in [&panels, &chairs] {
        assert_eq!(
            score_prepared(&prepared, &knowledge.prepare(input), knowledge),
            score_substitution(&offcuts, input, knowledge)
        );
    }
    assert!(score_prepared(&prepared, &knowledge.prepare(&panels), knowledge).is_some());
}

#[test]
fn the_farther_the_partner_the_lower_the_score() {
    let knowledge = knowledge();
    let pallets = with_category(
        offer(ResourceClass::Material, "Palettes Europe"),
        "packaging/pallets",
    );
    let mut scores = Vec::new();
    for km in [0.5, 5.0, 20.0, 60.0] {
        let mut wanted = with_category(
            request(ResourceClass::Material, "Palettes"),
            "packaging/pallets",
        );
        wanted.position = Some(east_of_dijon(km));
        let scored = score_substitution(&pallets, &wanted, knowledge).expect("proposed");
        let distance = scored
            .factors
            .iter()
            .find(|f| f.name == "distance")
            .expect("distance");
        scores.push((scored.score, distance.value));
    }
    assert!(
        scores
            .windows(2)
            .all(|w| w[0].0 > w[1].0 && w[0].1 > w[1].1),
        "{scores:?}"
    );
    // Heat travels worse than materials.
    assert!(
        distance_decay(10.0, ResourceClass::Energy) < distance_decay(10.0, ResourceClass::Material)
    );
    assert!((haversine_km(DIJON, east_of_dijon(20.0)) - 20.0).abs() < 0.1);
}

#[test]
fn members_words_for_the_same_thing_meet() {
    let knowledge = knowledge();
    let grv = offer(ResourceClass::Material, "GRV 1000 L vides");
    let ibc = request(
        ResourceClass::Material,
        "Cubitainers pour stocker de l'eau de pluie",
    );
    let scored = score_substitution(&grv, &ibc, knowledge).expect("proposed");
    assert!(
        scored
            .factors
            .iter()
            .any(|f| f.name == "text" && f.value > 0.4),
        "{scored:?}"
    );

    let dib = offer(ResourceClass::Waste, "DIB en mélange");
    let dae = request(
        ResourceClass::Waste,
        "Déchets d'activités économiques pour notre ligne CSR",
    );
    assert!(score_substitution(&dib, &dae, knowledge).is_some());
}

#[test]
fn windows_that_do_not_overlap_and_short_supplies_lower_the_score() {
    let knowledge = knowledge();
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let mut pallets = with_category(
        offer(ResourceClass::Material, "Palettes"),
        "packaging/pallets",
    );
    pallets.available_from = date(2026, 1, 1);
    pallets.available_until = date(2026, 3, 31);
    let mut spring = with_category(
        request(ResourceClass::Material, "Palettes"),
        "packaging/pallets",
    );
    spring.available_from = date(2026, 3, 1);
    let mut autumn = spring.clone();
    autumn.available_from = date(2026, 9, 1);
    let overlapping = score_substitution(&pallets, &spring, knowledge).expect("proposed");
    let later = score_substitution(&pallets, &autumn, knowledge);
    assert!(later.is_none_or(|later| later.score < overlapping.score));

    pallets.yearly_quantity = Some(Quantity {
        amount: 10.0,
        unit: "piece".into(),
    });
    spring.yearly_quantity = Some(Quantity {
        amount: 10.0,
        unit: "piece".into(),
    });
    let covered = score_substitution(&pallets, &spring, knowledge).expect("proposed");
    spring.yearly_quantity = Some(Quantity {
        amount: 200.0,
        unit: "piece".into(),
    });
    let short = score_substitution(&pallets, &spring, knowledge).expect("proposed");
    assert!(short.score < covered.score);
    assert_eq!(
        quantity_fit(
            Some(&Quantity {
                amount: 3.0,
                unit: "t".into()
            }),
            Some(&Quantity {
                amount: 2000.0,
                unit: "kg".into()
            }),
        ),
        Some(1.0)
    );
}

#[test]
fn resource_classes_read_and_write_the_api_spelling() {
    assert_eq!(
        ResourceClass::parse("by-product"),
        Some(ResourceClass::ByProduct)
    );
    assert_eq!(
        ResourceClass::parse("by_product"),
        Some(ResourceClass::ByProduct)
    );
    assert_eq!(ResourceClass::ByProduct.as_str(), "by-product");
    for class in ResourceClass::ALL {
        assert_eq!(ResourceClass::parse(class.as_str()), Some(class));
    }
    assert_eq!(
        ResourceClass::of_listing("goods", "packaging/pallets"),
        ResourceClass::Material
    );
    assert_eq!(
        ResourceClass::of_listing("goods", "furniture/office"),
        ResourceClass::Equipment
    );
    assert_eq!(
        ResourceClass::of_listing("skill", "skills/it"),
        ResourceClass::Skill
    );
    assert_eq!(
        ResourceClass::of_listing("space", "spaces/storage"),
        ResourceClass::Space
    );
}

fn cardboard_producer(km: f64) -> Item {
    let mut item = with_ewc(offer(ResourceClass::Waste, "Cartons usagés"), "150101");
    item.kind = ItemKind::Flow;
    item.position = Some(east_of_dijon(km));
    item
}

#[test]
fn three_firms_with_the_same_waste_nearby_make_a_collection_group_that_grows() {
    let knowledge = knowledge();
    let mut items = vec![
        cardboard_producer(0.0),
        cardboard_producer(3.0),
        cardboard_producer(6.0),
    ];
    // A fourth producer 60 km away is not within the radius.
    items.push(cardboard_producer(60.0));
    let groups = mutualisation_groups(&items, 15.0, knowledge);
    assert_eq!(groups.len(), 1, "{groups:?}");
    let group = &groups[0];
    assert_eq!(group.kind, PoolKind::Collection);
    assert_eq!(group.direction, Direction::Out);
    assert_eq!(group.resource_class, ResourceClass::Waste);
    assert_eq!(group.key, "ewc:150101");
    assert_eq!(group.members.len(), 3);
    assert!(!group.members.contains(&items[3].id));
    assert!(
        group
            .explanation
            .fr
            .contains("3 organisations à moins de 15 km"),
        "{}",
        group.explanation.fr
    );

    // A listing of cardboard from a fourth firm nearby joins the same group.
    let newcomer = with_category(
        offer(ResourceClass::Material, "Cartons"),
        "packaging/cardboard",
    );
    items.push(newcomer.clone());
    let grown = mutualisation_groups(&items, 15.0, knowledge);
    assert_eq!(grown.len(), 1);
    assert_eq!(grown[0].key, group.key);
    assert_eq!(grown[0].members.len(), 4);
    assert!(grown[0].members.contains(&newcomer.id));
    assert!(group.members.iter().all(|id| grown[0].members.contains(id)));

    // The same items in another order give the same groups.
    items.reverse();
    assert_eq!(mutualisation_groups(&items, 15.0, knowledge), grown);
}

#[test]
fn two_firms_or_one_firm_three_times_are_not_a_group() {
    let knowledge = knowledge();
    let two = vec![cardboard_producer(0.0), cardboard_producer(1.0)];
    assert!(mutualisation_groups(&two, 15.0, knowledge).is_empty());
    let mut one = vec![
        cardboard_producer(0.0),
        cardboard_producer(1.0),
        cardboard_producer(2.0),
    ];
    let organisation = one[0].organisation_id;
    for item in &mut one {
        item.organisation_id = organisation;
    }
    assert!(mutualisation_groups(&one, 15.0, knowledge).is_empty());
}

#[test]
fn shared_needs_make_purchasing_and_shared_service_groups() {
    let knowledge = knowledge();
    let mut items = Vec::new();
    for km in [0.0, 2.0, 4.0] {
        let mut training = with_category(
            request(ResourceClass::Skill, "Formation cariste"),
            "skills/training",
        );
        training.position = Some(east_of_dijon(km));
        items.push(training);
        let mut film = with_category(
            request(ResourceClass::Material, "Film étirable"),
            "packaging/film",
        );
        film.position = Some(east_of_dijon(km));
        items.push(film);
    }
    let groups = mutualisation_groups(&items, 15.0, knowledge);
    let kinds: Vec<(PoolKind, &str)> = groups.iter().map(|g| (g.kind, g.key.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (PoolKind::Purchasing, "cat:packaging/film"),
            (PoolKind::SharedService, "cat:skills/training")
        ]
    );
    assert!(groups[1].explanation.en.contains("need the same service"));
}

/// The leave-one-case-out replay, as measured when this test was written (docs/matching.md),
/// minus a small margin: a change to the scorer must not make it rediscover fewer exchanges.
#[test]
fn the_maestri_replay_does_not_regress() {
    let records = maestri_records(MAESTRI);
    let report = evaluate(&records, ROUTES, Options::default());
    assert_eq!(report.queries, 300);
    // Measured: 20.0 %, 33.0 %, 56.3 %, 63.0 % of true pairs above the threshold.
    assert!(report.recall_at_1 >= 0.19, "{report:?}");
    assert!(report.recall_at_3 >= 0.32, "{report:?}");
    assert!(report.recall_at_10 >= 0.55, "{report:?}");
    assert!(report.above_threshold >= 0.61, "{report:?}");
}

/// A route for a French trade that MAESTRI never documents: asphalt planings go back into
/// new asphalt, and the proposal cites the standard.
#[test]
fn reclaimed_asphalt_reaches_a_road_builder_with_its_standard() {
    let planings = with_ewc(
        offer(ResourceClass::Waste, "Fraisats d'enrobés"),
        "17 03 02",
    );
    let mut plant = request(
        ResourceClass::Material,
        "Agrégats d'enrobés pour la centrale",
    );
    plant.nace = "42.11Z".to_owned();
    let scored = score_substitution(&planings, &plant, knowledge()).expect("proposed");
    assert!(
        scored.explanation.fr.contains("NF EN 13108-8"),
        "{}",
        scored.explanation.fr
    );
}

/// A study that lists the same kind of exchange many times is one testimony: slag documented
/// by three parks going to mineral-wool plants outweighs one park's five exchanges of slag to
/// a cement plant.
#[test]
fn the_exchanges_of_one_study_count_as_one_testimony() {
    let exchange = |case: &str, receiver: &str| KnownExchange {
        provider_nace: "2410".to_owned(),
        receiver_nace: receiver.to_owned(),
        ewc_code: "100202".to_owned(),
        material: "Slag".to_owned(),
        final_use: "Raw material".to_owned(),
        case: case.to_owned(),
    };
    let mut exchanges = vec![exchange("taranto", "2351"); 5];
    exchanges.extend(["a", "b", "c"].map(|case| exchange(case, "2399")));
    let knowledge = Knowledge::learned_from(&exchanges, "");
    let mut slag = with_ewc(offer(ResourceClass::Waste, "Laitier"), "100202");
    slag.nace = "24.10Z".to_owned();
    let taker = |nace: &str| {
        let mut input = request(ResourceClass::Material, "Raw material");
        input.nace = nace.to_owned();
        score_substitution(&slag, &input, &knowledge).map_or(0.0, |s| s.score)
    };
    let (cement, mineral_wool) = (taker("23.51Z"), taker("23.99Z"));
    assert!(cement > 0.0, "one study still counts: {cement}");
    assert!(mineral_wool > cement, "{mineral_wool} > {cement}");
}

/// A recycler's trade takes used oil elsewhere; here it asks for office furniture, and that is
/// what it is matched on.
#[test]
fn an_input_that_states_its_need_is_not_matched_by_its_trade_alone() {
    let mut oil = with_ewc(
        offer(ResourceClass::Waste, "Huiles moteur usagées"),
        "130205",
    );
    oil.kind = ItemKind::Flow;
    oil.nace = "45.20A".into();
    let mut furniture = with_category(
        request(ResourceClass::Equipment, "Mobilier de bureau réemployable"),
        "furniture/office",
    );
    furniture.kind = ItemKind::Flow;
    furniture.nace = "38.32Z".into();
    furniture.description = "Bureaux, chaises et rangements en bon état.".into();
    assert_eq!(score_substitution(&oil, &furniture, knowledge()), None);
}

/// Kitchen waste and paper are both "separately collected fractions" (20 01), cardboard and
/// wooden pallets both "packaging" (15 01): neighbours in the list, not the same thing.
#[test]
fn waste_entries_grouped_by_collection_are_not_alike() {
    let mut biowaste = with_ewc(
        offer(ResourceClass::Waste, "Biodéchets de cuisine"),
        "200108",
    );
    biowaste.nace = "56.29B".into();
    let mut boxes = with_category(
        request(ResourceClass::Material, "Cartons d'expédition"),
        "packaging/cardboard",
    );
    boxes.nace = "47.91B".into();
    boxes.description = "Cartons pour les commandes en ligne.".into();
    assert_eq!(score_substitution(&biowaste, &boxes, knowledge()), None);
}

/// Before matching has learned an organisation's name, the explanation still reads as French.
#[test]
fn an_organisation_not_named_yet_is_called_an_organisation() {
    let mut pallets = with_category(
        offer(ResourceClass::Material, "Palettes Europe"),
        "packaging/pallets",
    );
    pallets.organisation_name = String::new();
    let mut wanted = with_category(
        request(ResourceClass::Material, "Cherche palettes"),
        "packaging/pallets",
    );
    wanted.organisation_name = String::new();
    let scored = score_substitution(&pallets, &wanted, knowledge()).expect("proposed");
    assert!(
        scored
            .explanation
            .fr
            .starts_with("Une organisation propose « Palettes Europe »")
            && scored.explanation.fr.contains("; une autre organisation"),
        "{}",
        scored.explanation.fr
    );
    assert!(
        scored.explanation.en.starts_with("An organisation offers"),
        "{}",
        scored.explanation.en
    );
}
