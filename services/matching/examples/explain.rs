//! Prints the proposals and explanations the scorer makes for a few typical pairs of a territory,
//! to read them as a firm would: `cargo run -p synergies-matching --example explain`.

use synergies_matching::scoring::{
    Direction, Item, ItemKind, Knowledge, Position, Quantity, ResourceClass, mutualisation_groups,
    score_substitution,
};

fn item(
    organisation: &str,
    nace: &str,
    direction: Direction,
    class: ResourceClass,
    label: &str,
    km_east: f64,
) -> Item {
    Item {
        id: uuid::Uuid::new_v4(),
        kind: ItemKind::Flow,
        tenant: "dijon".into(),
        organisation_id: uuid::Uuid::new_v4(),
        organisation_name: organisation.into(),
        nace: nace.into(),
        direction,
        resource_class: class,
        category: None,
        ewc_code: None,
        label: label.into(),
        description: String::new(),
        yearly_quantity: None,
        position: Some(Position {
            latitude: 47.322,
            longitude: 5.0415 + km_east / 75.4,
        }),
        available_from: None,
        available_until: None,
        exchange_mode: None,
    }
}

fn quantity(mut item: Item, amount: f64, unit: &str) -> Item {
    item.yearly_quantity = Some(Quantity {
        amount,
        unit: unit.into(),
    });
    item
}

fn main() {
    use Direction::{In, Out};
    use ResourceClass::{ByProduct, Energy, Equipment, Material, Waste, Water};
    let knowledge = Knowledge::bundled();
    let mut oil = item(
        "Garage Central",
        "45.20A",
        Out,
        Waste,
        "Huiles de vidange",
        0.0,
    );
    oil.ewc_code = Some("130205*".into());
    let mut cardboard = item(
        "Imprimerie Darcy",
        "18.12Z",
        Out,
        Waste,
        "Cartons d'emballage",
        1.0,
    );
    cardboard.ewc_code = Some("150101".into());
    let pairs = [
        (
            quantity(
                item(
                    "La fonderie",
                    "24.51Z",
                    Out,
                    Energy,
                    "Chaleur fatale des fours",
                    0.0,
                ),
                3000.0,
                "MWh",
            ),
            quantity(
                item(
                    "La serre maraîchère",
                    "01.13Z",
                    In,
                    Energy,
                    "Chauffage des serres",
                    2.0,
                ),
                2500.0,
                "MWh",
            ),
        ),
        (
            quantity(
                item(
                    "Brasserie de Talant",
                    "11.05Z",
                    Out,
                    ByProduct,
                    "Drêches de brasserie",
                    0.0,
                ),
                120.0,
                "t",
            ),
            quantity(
                item(
                    "GAEC des Combes",
                    "01.41Z",
                    In,
                    Material,
                    "Aliment pour bétail",
                    8.0,
                ),
                80.0,
                "t",
            ),
        ),
        (
            item(
                "Menuiserie Bourguignonne",
                "16.23Z",
                Out,
                Material,
                "Chutes de bois non traité",
                0.0,
            ),
            item(
                "Chaufferie de Quetigny",
                "35.30Z",
                In,
                Energy,
                "Plaquettes pour chaudière biomasse",
                6.0,
            ),
        ),
        (
            oil.clone(),
            item(
                "Régénération Est",
                "38.32Z",
                In,
                Waste,
                "Huiles usagées à régénérer",
                25.0,
            ),
        ),
        (
            cardboard.clone(),
            item(
                "Logistique Longvic",
                "52.10B",
                In,
                Material,
                "Cartons pour expédition",
                4.0,
            ),
        ),
        (
            item(
                "Menuiserie Bourguignonne",
                "16.23Z",
                Out,
                Material,
                "Chutes de bois non traité",
                0.0,
            ),
            item(
                "Cabinet Comptable",
                "69.20Z",
                In,
                Equipment,
                "Chaises de bureau",
                1.0,
            ),
        ),
        (
            oil,
            item("Laiterie", "10.51A", In, Water, "Eau de process", 3.0),
        ),
    ];
    for (output, input) in &pairs {
        println!("{} → {}", output.label, input.label);
        match score_substitution(output, input, &knowledge) {
            Some(scored) => {
                println!(
                    "  score {:.2}  {:?}",
                    scored.score,
                    scored
                        .factors
                        .iter()
                        .map(|f| (f.name, f.value))
                        .collect::<Vec<_>>()
                );
                println!("  FR: {}", scored.explanation.fr);
                println!("  EN: {}", scored.explanation.en);
            }
            None => println!("  not proposed"),
        }
    }
    let mut producers = vec![cardboard];
    for (name, km) in [("Boulangerie Fontaine", 3.0), ("Pharmacie du Lac", 6.0)] {
        let mut other = item(name, "47.11F", Out, Waste, "Cartons", km);
        other.ewc_code = Some("150101".into());
        producers.push(other);
    }
    for group in mutualisation_groups(&producers, 15.0, &knowledge) {
        println!(
            "{:?} {} members {}",
            group.kind,
            group.key,
            group.members.len()
        );
        println!("  FR: {}", group.explanation.fr);
        println!("  EN: {}", group.explanation.en);
    }
}
