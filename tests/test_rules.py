"""The rules of criteria.md that are easy to get wrong, each on a generated workbook."""

from conftest import passing_commune, passing_village, summary_problems


def villages(ma_xa="00001", n=3, smart_first=True, **overrides):
    return [passing_village(ma_xa, f"thôn {i}", smart=smart_first and i == 1, **overrides) for i in range(1, n + 1)]


def test_threshold_on_the_exact_boundary(assess_rows):
    run = assess_rows(
        [
            passing_commune("00001", dan_so_lao_dong=10000, dan_so_lao_dong_smartphone=7999),
            passing_commune("00002", dan_so_lao_dong=10000, dan_so_lao_dong_smartphone=8000),
        ],
        villages("00001") + villages("00002"),
    )
    results = run.results()
    assert results[("00001", "8.2.a")]["ket_qua"] == "khong_dat"
    assert results[("00001", "8.2.a")]["gia_tri"] == "0.7999"
    assert results[("00002", "8.2.a")]["ket_qua"] == "dat"
    assert results[("00002", "8.2.a")]["nguong"] == "0.8"
    assert run.communes()["00001"]["ket_qua"] == "khong_dat"
    assert run.communes()["00002"]["ket_qua"] == "dat"
    assert run.exit_code == 0


def test_zero_denominator_is_not_assessable(assess_rows):
    run = assess_rows([passing_commune(van_ban_tong=0, van_ban_ky_so=0)], villages())
    row = run.results()[("00001", "15.2.f")]
    assert (row["tu_so"], row["mau_so"], row["gia_tri"], row["ket_qua"]) == ("0", "0", "", "khong_danh_gia_duoc")
    assert run.communes()["00001"]["ket_qua"] == "khong_danh_gia_duoc"
    assert run.exit_code == 3


def test_numerator_above_denominator_is_bad_input(assess_rows):
    run = assess_rows([passing_commune(ho_so_tong=500, ho_so_truc_tuyen=600)], villages())
    assert run.results()[("00001", "15.2.i")]["ket_qua"] == "khong_danh_gia_duoc"
    assert run.results()[("00001", "15.2.h")]["ket_qua"] == "dat"
    problems = run.problems()
    assert [(p["tep"], p["trang"], p["o"], p["cot"], p["gia_tri"], p["muc_do"], p["ma_xa"]) for p in problems] == [
        ("xa.xlsx", "Xa", "S4", "ho_so_truc_tuyen", "600", "loi", "00001")
    ]
    assert problems[0]["mo_ta"] == (
        "Số ghi lớn hơn số tổng tương ứng: Số hồ sơ giải quyết trực tuyến — lớn hơn cột Tổng số hồ sơ TTHC"
    )
    assert summary_problems(run) == [("xa.xlsx", "Xa", "S4", "vuot-mau-so")]
    assert run.exit_code == 3


def test_ocop_without_products_is_not_applicable(assess_rows):
    run = assess_rows([passing_commune(ocop_tong=0, ocop_san_tmdt=0)], villages())
    assert run.results()[("00001", "15.2.l")]["ket_qua"] == "khong_ap_dung"
    commune = run.communes()["00001"]
    assert (commune["ket_qua"], commune["so_chi_tieu_dat"], commune["so_chi_tieu"]) == ("dat", "24", "24")


def test_one_village_failing_an_all_villages_indicator(assess_rows):
    thon = villages(n=4)
    thon[2]["co_ho_xem_truyen_hinh"] = "Không"
    run = assess_rows([passing_commune()], thon)
    row = run.results()[("00001", "8.3.b")]
    assert (row["tu_so"], row["mau_so"], row["gia_tri"], row["ket_qua"]) == ("3", "4", "0.75", "khong_dat")
    assert run.communes()["00001"]["ket_qua"] == "khong_dat"


def test_model_commune_without_a_smart_village(assess_rows):
    thon = villages(n=3, smart_first=False)
    thon = [v | {"to_cong_nghe_so": "Có", "kenh_mang_xa_hoi": "Có", "truy_xuat_tmdt": "Có"} for v in thon]
    thon = [v | {"so_nguoi_smartphone": 100, "so_nguoi_vneid": 69} for v in thon]  # 69 % < 70 %
    run = assess_rows([passing_commune(tier="kieu_mau")], thon)
    results = run.results()
    assert results[("00001", "KM.1")]["ket_qua"] == "khong_dat"
    assert results[("00001", "KM.1.d")]["ket_qua"] == "khong_dat"
    assert results[("00001", "KM.1.a")]["ket_qua"] == "dat"
    commune = run.communes()["00001"]
    assert (commune["ket_qua"], commune["hang_cao_nhat_dat"]) == ("khong_dat", "nang_cao")


def test_model_commune_with_a_smart_village_meets_the_tier(assess_rows):
    run = assess_rows([passing_commune(tier="kieu_mau")], villages(n=3))
    row = run.results()[("00001", "KM.1")]
    assert (row["tu_so"], row["mau_so"], row["ket_qua"]) == ("1", "3", "dat")
    assert run.communes()["00001"]["hang_cao_nhat_dat"] == "kieu_mau"


def test_model_commune_recognised_advanced_this_year(assess_rows):
    run = assess_rows([passing_commune(tier="kieu_mau", nam_dat_nang_cao=2024)], villages(n=3))
    row = run.results()[("00001", "KM.0")]
    assert (row["tu_so"], row["gia_tri"], row["ket_qua"]) == ("2024", "0", "khong_dat")
    commune = run.communes()["00001"]
    assert (commune["ket_qua"], commune["hang_cao_nhat_dat"]) == ("khong_dat", "nang_cao")


def test_basic_tier_commune_is_assessed_on_criterion_8_only(assess_rows):
    basic = {
        k: v for k, v in passing_commune(tier="ntm").items() if not k.startswith(("bc_", "mc_", "tthc", "van", "ho_so"))
    }
    run = assess_rows([basic | {"hang_dang_ky": "NTM"}], villages(smart_first=False))
    results = run.results()
    assert sorted(k[1] for k in results) == ["8.1", "8.2", "8.3", "8.4"]
    commune = run.communes()["00001"]
    assert (commune["hang_dang_ky"], commune["ket_qua"], commune["so_chi_tieu"]) == ("ntm", "dat", "4")
    assert commune["hang_cao_nhat_dat"] == "ntm"
    assert run.problems() == []
    assert run.exit_code == 0


def test_empty_yes_no_cell_is_not_provided_not_no(assess_rows):
    run = assess_rows([passing_commune(mc_camera=None) | {"mc_camera": ""}], villages())
    assert run.results()[("00001", "15.2.b")]["ket_qua"] == "khong_danh_gia_duoc"
    assert run.communes()["00001"]["ket_qua"] == "khong_danh_gia_duoc"


def test_radio_station_missing_fails_8_3_even_with_loudspeakers(assess_rows):
    run = assess_rows([passing_commune(co_dai_truyen_thanh="Không")], villages())
    assert run.results()[("00001", "8.3")]["ket_qua"] == "khong_dat"
    assert run.results()[("00001", "8.3.a")]["ket_qua"] == "dat"
