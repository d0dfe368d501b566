"""Realistic, deterministic sample landing zones (demo, end-to-end tests, benchmark).

`write_sample_landing(out, "32", seed)` writes one folder per regency of the province
(`out/32.04/...xlsx`): masterplans for about 78 % of the regencies (exactly 21 of Jawa
Barat's 27), yearly evaluations, one revised masterplan and one revised evaluation, the
variety the contract allows (title rows, a `No` column, `3204` codes, Indonesian dates,
budgets as text, ✓ quick wins, total rows ...) and eight submissions with one typical
mistake each. `sample_expectations()` tells, per file, what the pipeline must decide.

`write_national_landing(out, ...)` writes a valid masterplan and evaluations for every
regency of the country (the benchmark), in parallel.

Everything is a pure function of (province, seed): the same call writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smartprov import settings
from smartprov.authoring.template import identity_sheet, template_sheets
from smartprov.authoring.xlsx_writer import Cell, SheetSpec, column_letter, workbook_bytes
from smartprov.contract import catalogue as contract
from smartprov.contract.catalogue import EVALUASI, MASTERPLAN, Region

MASTERPLAN_SHARE = 0.78  # share of a province's regencies with an accepted masterplan
SAMPLE_EVALUATION_YEARS = (2023, 2024, 2025)

# ---------------------------------------------------------------------------------------
# reference material: agencies (OPD), program ideas, readiness indicators

# key -> (full name, usual abbreviation)
OPDS: dict[str, tuple[str, str]] = {
    "kominfo": ("Dinas Komunikasi dan Informatika", "Diskominfo"),
    "bappeda": ("Badan Perencanaan Pembangunan Daerah", "Bappeda"),
    "dpmptsp": ("Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "DPMPTSP"),
    "dukcapil": ("Dinas Kependudukan dan Pencatatan Sipil", "Disdukcapil"),
    "bkpsdm": ("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "BKPSDM"),
    "organisasi": ("Bagian Organisasi Sekretariat Daerah", "Bagian Organisasi Setda"),
    "hukum": ("Bagian Hukum Sekretariat Daerah", "Bagian Hukum Setda"),
    "bpkad": ("Badan Pengelolaan Keuangan dan Aset Daerah", "BPKAD"),
    "bapenda": ("Badan Pendapatan Daerah", "Bapenda"),
    "inspektorat": ("Inspektorat Daerah", "Inspektorat"),
    "pariwisata": ("Dinas Pariwisata dan Kebudayaan", "Disparbud"),
    "koperasi": ("Dinas Koperasi dan Usaha Kecil Menengah", "Diskopukm"),
    "perdagangan": ("Dinas Perindustrian dan Perdagangan", "Disperindag"),
    "perkim": ("Dinas Perumahan dan Kawasan Permukiman", "Disperkim"),
    "pupr": ("Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas PUPR"),
    "kesehatan": ("Dinas Kesehatan", "Dinkes"),
    "rsud": ("Rumah Sakit Umum Daerah", "RSUD"),
    "perhubungan": ("Dinas Perhubungan", "Dishub"),
    "sosial": ("Dinas Sosial", "Dinsos"),
    "pendidikan": ("Dinas Pendidikan", "Disdik"),
    "perpustakaan": ("Dinas Perpustakaan dan Kearsipan", "Dispusip"),
    "satpolpp": ("Satuan Polisi Pamong Praja", "Satpol PP"),
    "bpbd": ("Badan Penanggulangan Bencana Daerah", "BPBD"),
    "dpmd": ("Dinas Pemberdayaan Masyarakat dan Desa", "DPMD"),
    "lingkungan": ("Dinas Lingkungan Hidup", "DLH"),
    "pertanian": ("Dinas Pertanian", "Distan"),
    "pangan": ("Dinas Ketahanan Pangan", "DKP"),
    "tenagakerja": ("Dinas Tenaga Kerja", "Disnaker"),
    "pemuda": ("Dinas Pemuda dan Olahraga", "Dispora"),
    "damkar": ("Dinas Pemadam Kebakaran dan Penyelamatan", "Damkar"),
    "kpp": ("Dinas Pemberdayaan Perempuan dan Perlindungan Anak", "DP3A"),
}
# a kota has no village-development agency
KOTA_OPDS: dict[str, tuple[str, str]] = {
    "dpmd": ("Bagian Tata Pemerintahan Sekretariat Daerah", "Bagian Tapem Setda")
}


@dataclass(frozen=True)
class Idea:
    name: str
    indicator: str
    unit: str
    target: tuple[float, float]
    opds: tuple[str, ...]
    scale: str  # S, M, L, XL: budget range


# fmt: off
_I = Idea
# (dimension, element) -> program ideas
IDEAS: dict[tuple[str, str], tuple[Idea, ...]] = {
    ("Smart Governance", "Layanan Publik"): (
        _I("Aplikasi Layanan Perizinan Online", "Jumlah jenis izin yang dilayani secara daring", "jenis izin", (20, 120), ("dpmptsp", "kominfo"), "M"),
        _I("Mal Pelayanan Publik Digital", "Jumlah layanan yang tersedia di MPP", "layanan", (50, 250), ("dpmptsp", "organisasi"), "L"),
        _I("Layanan Administrasi Kependudukan Online", "Jumlah dokumen kependudukan terbit secara daring", "dokumen", (5000, 60000), ("dukcapil",), "M"),
        _I("Kanal Pengaduan Masyarakat Terpadu (SP4N-LAPOR!)", "Persentase pengaduan yang ditindaklanjuti", "%", (80, 100), ("kominfo", "organisasi"), "S"),
        _I("Super App Layanan Warga", "Jumlah layanan terintegrasi dalam aplikasi", "layanan", (10, 60), ("kominfo",), "M"),
        _I("Anjungan Dukcapil Mandiri", "Jumlah anjungan terpasang", "unit", (3, 30), ("dukcapil",), "M"),
        _I("Sertifikat Elektronik untuk Layanan Publik", "Jumlah pejabat pengguna tanda tangan elektronik", "orang", (100, 1500), ("kominfo",), "S"),
    ),
    ("Smart Governance", "Tata Kelola Birokrasi"): (
        _I("Sistem Pemerintahan Berbasis Elektronik (SPBE) Terintegrasi", "Indeks SPBE", "indeks", (3, 4), ("kominfo", "organisasi"), "L"),
        _I("E-Office dan Tata Naskah Dinas Elektronik", "Jumlah perangkat daerah pengguna e-office", "OPD", (20, 60), ("kominfo", "organisasi"), "M"),
        _I("E-Kinerja dan E-Presensi ASN", "Persentase ASN menggunakan e-kinerja", "%", (90, 100), ("bkpsdm",), "S"),
        _I("E-Planning dan E-Budgeting Terintegrasi", "Jumlah OPD menggunakan e-planning", "OPD", (30, 60), ("bappeda", "bpkad"), "M"),
        _I("Portal Satu Data", "Jumlah dataset terpublikasi", "dataset", (200, 2000), ("kominfo", "bappeda"), "S"),
        _I("Pusat Data Daerah", "Persentase aplikasi OPD ditempatkan di pusat data", "%", (60, 100), ("kominfo",), "L"),
        _I("Sistem Informasi Pengawasan Internal", "Jumlah temuan yang dipantau secara daring", "temuan", (100, 800), ("inspektorat",), "S"),
        _I("Jaringan Intra Pemerintah (Fiber Optik Antar-OPD)", "Jumlah kantor terhubung jaringan intra", "kantor", (30, 120), ("kominfo",), "L"),
    ),
    ("Smart Governance", "Kebijakan Publik"): (
        _I("Jaringan Dokumentasi dan Informasi Hukum (JDIH) Online", "Jumlah produk hukum terunggah", "dokumen", (300, 3000), ("hukum",), "S"),
        _I("Dashboard Pimpinan Berbasis Data", "Jumlah indikator kinerja tersaji di dashboard", "indikator", (50, 300), ("kominfo", "bappeda"), "M"),
        _I("E-Musrenbang", "Jumlah usulan musrenbang diinput secara daring", "usulan", (1000, 8000), ("bappeda",), "S"),
        _I("Konsultasi Publik Rancangan Perda secara Daring", "Jumlah raperda dikonsultasikan secara daring", "raperda", (5, 30), ("hukum",), "S"),
        _I("Penyusunan Regulasi dan Roadmap Smart City", "Jumlah regulasi smart city ditetapkan", "regulasi", (1, 5), ("hukum", "kominfo"), "S"),
        _I("Sistem Informasi Pembangunan Daerah Terintegrasi", "Persentase dokumen perencanaan tersusun di SIPD", "%", (90, 100), ("bappeda",), "S"),
    ),
    ("Smart Branding", "Pariwisata"): (
        _I("Portal Pariwisata Digital", "Jumlah destinasi wisata terpublikasi", "destinasi", (30, 200), ("pariwisata", "kominfo"), "S"),
        _I("Virtual Tour Destinasi Wisata", "Jumlah destinasi dengan tur virtual", "destinasi", (5, 40), ("pariwisata",), "S"),
        _I("E-Ticketing Objek Wisata", "Jumlah objek wisata menggunakan tiket elektronik", "objek wisata", (3, 25), ("pariwisata",), "M"),
        _I("Kalender Event Pariwisata Daring", "Jumlah event terpublikasi", "event", (20, 100), ("pariwisata",), "S"),
        _I("Pengembangan Desa Wisata Digital", "Jumlah desa wisata terdigitalisasi", "desa", (5, 40), ("pariwisata", "dpmd"), "M"),
        _I("Promosi Wisata melalui Media Sosial", "Jumlah kunjungan wisatawan", "orang", (500000, 5000000), ("pariwisata",), "S"),
    ),
    ("Smart Branding", "Bisnis"): (
        _I("Katalog Produk Unggulan Daerah", "Jumlah produk unggulan terkatalog", "produk", (100, 1500), ("koperasi", "perdagangan"), "S"),
        _I("Marketplace UMKM Lokal", "Jumlah UMKM bergabung di marketplace", "UMKM", (500, 10000), ("koperasi",), "M"),
        _I("Sertifikasi Halal dan Branding Produk UMKM", "Jumlah produk UMKM tersertifikasi", "produk", (100, 2000), ("koperasi",), "S"),
        _I("Sistem Informasi Potensi Investasi Daerah", "Jumlah profil proyek investasi dipublikasikan", "proyek", (5, 50), ("dpmptsp",), "S"),
        _I("Pameran Produk Unggulan Virtual", "Jumlah transaksi pameran", "transaksi", (200, 5000), ("perdagangan",), "S"),
        _I("Logo dan City Branding Daerah", "Jumlah media promosi menggunakan city branding", "media", (10, 100), ("kominfo", "pariwisata"), "S"),
    ),
    ("Smart Branding", "Wajah Kota"): (
        _I("Revitalisasi Alun-Alun dan Ruang Publik Terpadu", "Jumlah ruang publik direvitalisasi", "lokasi", (1, 10), ("perkim", "pupr"), "XL"),
        _I("Taman Tematik dengan Wi-Fi Publik", "Jumlah taman tematik", "taman", (3, 20), ("perkim", "kominfo"), "M"),
        _I("Penataan Reklame dan Papan Informasi Digital", "Jumlah papan informasi digital", "unit", (5, 40), ("dpmptsp", "kominfo"), "M"),
        _I("Videotron Informasi Publik", "Jumlah videotron terpasang", "unit", (2, 15), ("kominfo",), "M"),
        _I("Penataan Kawasan Heritage dan Pusat Kota", "Luas kawasan yang ditata", "hektare", (5, 50), ("pupr", "pariwisata"), "XL"),
        _I("Gapura dan Penanda Batas Wilayah Ikonik", "Jumlah gapura/penanda dibangun", "unit", (2, 12), ("pupr",), "L"),
        _I("Penerangan Jalan Umum Dekoratif Koridor Utama", "Panjang koridor dengan PJU dekoratif", "km", (2, 20), ("perhubungan", "pupr"), "L"),
    ),
    ("Smart Economy", "Industri"): (
        _I("Sistem Informasi Industri Kecil Menengah", "Jumlah IKM terdata", "IKM", (500, 8000), ("perdagangan",), "S"),
        _I("Inkubator Bisnis dan Startup Digital", "Jumlah startup/usaha binaan", "usaha", (10, 100), ("koperasi", "kominfo"), "M"),
        _I("Pelatihan Digitalisasi IKM", "Jumlah IKM terlatih", "IKM", (100, 2000), ("perdagangan",), "S"),
        _I("Sentra Industri Kreatif", "Jumlah sentra industri kreatif", "sentra", (2, 15), ("perdagangan", "pariwisata"), "L"),
        _I("Smart Farming Berbasis IoT", "Jumlah kelompok tani pengguna sensor IoT", "kelompok tani", (5, 60), ("pertanian",), "M"),
        _I("Sistem Resi Gudang dan Logistik Produk Lokal", "Jumlah komoditas terfasilitasi", "komoditas", (2, 15), ("perdagangan", "pangan"), "M"),
    ),
    ("Smart Economy", "Kesejahteraan Rakyat"): (
        _I("Sistem Informasi Kesejahteraan Sosial Terpadu", "Persentase data DTKS yang dimutakhirkan", "%", (80, 100), ("sosial",), "S"),
        _I("Bursa Kerja Online", "Jumlah pencari kerja terdaftar", "orang", (2000, 30000), ("tenagakerja",), "S"),
        _I("Aplikasi Pemantauan Harga dan Stok Pangan", "Jumlah pasar terpantau", "pasar", (5, 40), ("pangan", "perdagangan"), "S"),
        _I("Koperasi Digital", "Jumlah koperasi menggunakan aplikasi", "koperasi", (20, 300), ("koperasi",), "S"),
        _I("Pelatihan Kewirausahaan Digital bagi Pemuda", "Jumlah peserta pelatihan", "orang", (200, 3000), ("pemuda", "tenagakerja"), "S"),
        _I("Bantuan Sosial Non Tunai Terintegrasi", "Jumlah keluarga penerima terdata", "KK", (5000, 80000), ("sosial",), "M"),
    ),
    ("Smart Economy", "Transaksi Keuangan"): (
        _I("Elektronifikasi Transaksi Pemerintah Daerah (ETPD)", "Indeks ETPD", "indeks", (80, 100), ("bpkad", "bapenda"), "S"),
        _I("Pembayaran Pajak Daerah Online", "Persentase penerimaan pajak daerah non tunai", "%", (60, 100), ("bapenda",), "M"),
        _I("E-Retribusi Pasar", "Jumlah pasar menggunakan e-retribusi", "pasar", (3, 30), ("perdagangan", "bapenda"), "S"),
        _I("QRIS untuk Pedagang Pasar dan UMKM", "Jumlah pedagang pengguna QRIS", "pedagang", (500, 15000), ("perdagangan", "koperasi"), "S"),
        _I("Pembayaran PBB-P2 Non Tunai", "Persentase PBB-P2 dibayar non tunai", "%", (50, 100), ("bapenda",), "S"),
        _I("Sistem Informasi Keuangan dan Aset Daerah", "Jumlah OPD pengguna sistem aset daerah", "OPD", (30, 60), ("bpkad",), "M"),
    ),
    ("Smart Living", "Harmonisasi Tata Wilayah"): (
        _I("Sistem Informasi Tata Ruang", "Jumlah peta rencana detail tata ruang daring", "peta", (3, 30), ("pupr",), "M"),
        _I("Persetujuan Bangunan Gedung (PBG) Online", "Jumlah PBG terbit secara daring", "dokumen", (200, 3000), ("pupr", "dpmptsp"), "S"),
        _I("Sistem Informasi Rumah Tidak Layak Huni", "Jumlah rumah tidak layak huni terdata", "rumah", (1000, 20000), ("perkim",), "S"),
        _I("Geoportal Daerah", "Jumlah layer peta tematik", "layer", (20, 200), ("bappeda", "pupr"), "M"),
        _I("Sistem Informasi Air Minum dan Sanitasi", "Persentase rumah tangga dengan akses air minum layak", "%", (70, 100), ("perkim",), "M"),
        _I("Penataan Permukiman Kumuh Berbasis Data", "Luas kawasan kumuh tertangani", "hektare", (10, 120), ("perkim",), "XL"),
    ),
    ("Smart Living", "Kesehatan"): (
        _I("Puskesmas Online", "Jumlah puskesmas dengan pendaftaran daring", "puskesmas", (10, 70), ("kesehatan",), "M"),
        _I("Sistem Rujukan Terintegrasi", "Jumlah fasilitas kesehatan terhubung", "faskes", (20, 120), ("kesehatan", "rsud"), "S"),
        _I("Telemedicine Puskesmas-RSUD", "Jumlah konsultasi telemedicine", "konsultasi", (500, 10000), ("kesehatan", "rsud"), "M"),
        _I("Rekam Medis Elektronik", "Persentase faskes menerapkan rekam medis elektronik", "%", (80, 100), ("kesehatan", "rsud"), "L"),
        _I("Aplikasi Pemantauan dan Penurunan Stunting", "Jumlah balita terpantau", "balita", (5000, 60000), ("kesehatan", "kpp"), "S"),
        _I("Layanan Ambulans Gawat Darurat 119", "Waktu tanggap rata-rata", "menit", (10, 30), ("kesehatan",), "M"),
        _I("Antrean Online RSUD", "Persentase pasien mendaftar daring", "%", (40, 90), ("rsud",), "S"),
    ),
    ("Smart Living", "Mobilitas"): (
        _I("Smart Parking", "Jumlah titik parkir dengan pembayaran non tunai", "titik", (10, 120), ("perhubungan",), "M"),
        _I("Area Traffic Control System (ATCS)", "Jumlah simpang terpasang ATCS", "simpang", (5, 40), ("perhubungan",), "XL"),
        _I("Sistem Informasi Angkutan Umum", "Jumlah trayek terpantau GPS", "trayek", (3, 30), ("perhubungan",), "S"),
        _I("Halte Pintar", "Jumlah halte pintar", "halte", (3, 30), ("perhubungan",), "M"),
        _I("Uji KIR Elektronik", "Jumlah kendaraan diuji secara elektronik", "kendaraan", (1000, 15000), ("perhubungan",), "S"),
        _I("Bus Sekolah Terpantau GPS", "Jumlah armada bus sekolah terpantau", "armada", (3, 25), ("perhubungan", "pendidikan"), "S"),
    ),
    ("Smart Society", "Komunitas"): (
        _I("Kampung Digital", "Jumlah kampung digital", "kampung", (5, 80), ("kominfo", "dpmd"), "S"),
        _I("Desa Digital dan Sistem Informasi Desa", "Jumlah desa/kelurahan menggunakan sistem informasi", "desa", (20, 300), ("dpmd", "kominfo"), "M"),
        _I("Relawan TIK dan Komunitas Digital", "Jumlah relawan TIK aktif", "orang", (50, 600), ("kominfo",), "S"),
        _I("Wi-Fi Publik di Ruang Terbuka", "Jumlah titik Wi-Fi publik", "titik", (20, 400), ("kominfo",), "M"),
        _I("Aplikasi Lapor RT/RW", "Jumlah RW terdaftar", "RW", (100, 1500), ("kominfo", "dpmd"), "S"),
        _I("Aplikasi Relawan dan Donasi Sosial", "Jumlah kegiatan sosial tercatat", "kegiatan", (50, 800), ("sosial",), "S"),
    ),
    ("Smart Society", "Ekosistem Belajar"): (
        _I("Perpustakaan Digital", "Jumlah koleksi buku digital", "judul", (1000, 20000), ("perpustakaan",), "S"),
        _I("Sekolah Digital", "Jumlah sekolah dengan kelas digital", "sekolah", (20, 300), ("pendidikan",), "L"),
        _I("Literasi Digital Masyarakat", "Jumlah peserta literasi digital", "orang", (1000, 20000), ("kominfo",), "S"),
        _I("Pojok Baca Digital di Ruang Publik", "Jumlah pojok baca digital", "unit", (5, 50), ("perpustakaan",), "S"),
        _I("Pelatihan Pembelajaran Daring bagi Guru", "Jumlah guru terlatih", "guru", (200, 5000), ("pendidikan",), "S"),
        _I("Penerimaan Peserta Didik Baru (PPDB) Online", "Jumlah sekolah menggunakan PPDB daring", "sekolah", (50, 600), ("pendidikan",), "S"),
    ),
    ("Smart Society", "Keamanan"): (
        _I("CCTV Terintegrasi Keamanan Kota", "Jumlah CCTV terintegrasi command center", "unit", (50, 800), ("kominfo", "satpolpp"), "L"),
        _I("Panic Button Warga", "Jumlah pengguna panic button", "pengguna", (1000, 30000), ("kominfo",), "S"),
        _I("Call Center Darurat 112", "Persentase panggilan darurat tertangani", "%", (85, 100), ("kominfo", "bpbd", "damkar"), "M"),
        _I("Sistem Peringatan Dini Bencana", "Jumlah sirine/sensor peringatan dini", "unit", (5, 60), ("bpbd",), "M"),
        _I("Computer Security Incident Response Team (CSIRT) Daerah", "Jumlah insiden siber tertangani", "insiden", (10, 200), ("kominfo",), "S"),
        _I("Aplikasi Pelaporan Kebakaran dan Penyelamatan", "Waktu tanggap pemadam kebakaran", "menit", (10, 20), ("damkar",), "S"),
    ),
    ("Smart Environment", "Proteksi Lingkungan"): (
        _I("Sistem Pemantauan Kualitas Udara", "Jumlah stasiun pemantau kualitas udara", "stasiun", (2, 15), ("lingkungan",), "M"),
        _I("Pemantauan Kualitas Air Sungai Online", "Jumlah titik pantau kualitas air", "titik", (5, 40), ("lingkungan",), "M"),
        _I("Gerakan Menanam Pohon Berbasis Aplikasi", "Jumlah pohon tertanam tercatat", "pohon", (10000, 200000), ("lingkungan",), "S"),
        _I("Sistem Informasi Ruang Terbuka Hijau", "Luas RTH terpetakan", "hektare", (50, 800), ("lingkungan", "perkim"), "S"),
        _I("Early Warning System Banjir", "Jumlah sensor tinggi muka air", "sensor", (5, 50), ("bpbd", "pupr"), "M"),
        _I("Sistem Informasi Perizinan Lingkungan", "Jumlah dokumen lingkungan diproses daring", "dokumen", (50, 600), ("lingkungan", "dpmptsp"), "S"),
    ),
    ("Smart Environment", "Pengelolaan Sampah"): (
        _I("Bank Sampah Digital", "Jumlah bank sampah terdigitalisasi", "bank sampah", (10, 200), ("lingkungan",), "S"),
        _I("Aplikasi Pengangkutan Sampah Terjadwal", "Jumlah armada sampah terpantau GPS", "armada", (10, 120), ("lingkungan",), "M"),
        _I("TPS 3R Terpantau", "Jumlah TPS 3R beroperasi", "unit", (5, 60), ("lingkungan",), "L"),
        _I("Pengolahan Sampah menjadi Energi (RDF)", "Sampah terolah menjadi RDF", "ton/hari", (10, 200), ("lingkungan",), "XL"),
        _I("Retribusi Sampah Non Tunai", "Persentase retribusi sampah dibayar non tunai", "%", (30, 90), ("lingkungan", "bapenda"), "S"),
        _I("Gerakan Pilah Sampah dari Rumah", "Jumlah rumah tangga memilah sampah", "rumah tangga", (5000, 100000), ("lingkungan",), "S"),
    ),
    ("Smart Environment", "Pengelolaan Energi"): (
        _I("Penerangan Jalan Umum Tenaga Surya", "Jumlah titik PJU tenaga surya", "titik", (100, 2000), ("perhubungan", "pupr"), "L"),
        _I("PJU Pintar Berbasis IoT", "Jumlah PJU terpantau jarak jauh", "titik", (200, 5000), ("perhubungan",), "L"),
        _I("Panel Surya Atap Gedung Pemerintah", "Kapasitas panel surya terpasang", "kWp", (50, 800), ("pupr",), "L"),
        _I("Sistem Monitoring Energi Gedung Perkantoran", "Jumlah gedung terpantau konsumsi energinya", "gedung", (5, 60), ("bpkad", "kominfo"), "S"),
        _I("Biogas Komunal", "Jumlah unit biogas komunal", "unit", (5, 60), ("lingkungan", "pertanian"), "M"),
        _I("Kendaraan Dinas Listrik", "Jumlah kendaraan dinas listrik", "unit", (5, 60), ("bpkad",), "L"),
    ),
}
del _I
# fmt: on

# budget ranges in millions of rupiah
BUDGET_SCALES: dict[str, tuple[int, int]] = {
    "S": (100, 900),
    "M": (500, 3500),
    "L": (2000, 12000),
    "XL": (5000, 40000),
}
DIMENSION_PREFIX = {
    "Smart Governance": "GOV",
    "Smart Branding": "BRD",
    "Smart Economy": "ECO",
    "Smart Living": "LIV",
    "Smart Society": "SOC",
    "Smart Environment": "ENV",
}
READINESS_INDICATORS = contract.READINESS_INDICATORS
REMARKS = (
    "Sesuai rencana",
    "Menunggu anggaran perubahan",
    "- terkendala proses pengadaan",
    "+ penambahan 5 titik lokasi",
    "Integrasi dengan aplikasi nasional",
    "@diskominfo sosialisasi melalui media sosial",
    "=target tahun ini tercapai",
    "Dialihkan ke tahun berikutnya",
    "Uji coba di 3 kecamatan",
)
MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
PERIODS = ((2019, 2028), (2020, 2029), (2021, 2030), (2022, 2031), (2022, 2031), (2023, 2032), (2021, 2026))


# ---------------------------------------------------------------------------------------
# the documents


@dataclass
class Program:
    code: str
    name: str | None
    dimension: str
    element: str
    opds: tuple[str, ...]  # display names, lead first
    start: int
    end: int
    quick_win: bool
    budget: int | None  # rupiah
    sources: tuple[str, ...]
    indicator: str | None
    target: float | None
    unit: str | None


@dataclass
class Masterplan:
    region: Region
    start: int
    end: int
    date: dt.date
    number: str | None
    email: str
    programs: list[Program]


@dataclass
class Realisation:
    code: str
    name: str | None
    status: str
    progress: int
    spent: int | None
    achieved: float | None
    remark: str | None


@dataclass
class Evaluation:
    region: Region
    year: int
    date: dt.date
    number: str | None
    email: str
    realisations: list[Realisation]
    readiness: list[tuple[str, str, float, str | None]]
    index: list[tuple[str, float]] | None


@dataclass(frozen=True)
class Profile:
    """How one regency fills in its workbooks (stable across its submissions)."""

    layout: str  # "template" or "homemade"
    naming: int
    code_style: str  # dim, seq, dotted, region
    opd_style: str  # full, abbr
    opd_sep: str
    region_style: str  # dotted, digits, number
    name_style: str  # official, kab, upper
    date_style: str  # id, iso, dmy, excel
    yes: str
    no: str | None
    money_style: str  # number, rp, mixed
    pct_style: str  # number, text, fraction
    index_text: bool
    title_rows: int
    no_column: bool
    blank_rows: bool
    total_row: bool
    optional_cols: bool
    name_in_realisasi: bool
    header_case: str  # lower, title, upper
    version_number: bool  # versi_template typed as the number 1
    email_box: str
    version: str = "1"  # template version: "2" for some regencies on the current template


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random("|".join([str(seed), *map(str, parts)]))


def _base_name(region: Region) -> str:
    name = region.name
    for prefix in ("Kabupaten ", "Kota "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.replace("Administrasi ", "")


def _domain(region: Region) -> str:
    slug = re.sub(r"[^a-z0-9]", "", _base_name(region).lower())
    return f"{slug}{'kab' if region.type == 'kabupaten' else 'kota'}.go.id"


def _folder_slug(region: Region) -> str:
    prefix = "kab" if region.type == "kabupaten" else "kota"
    return f"{prefix}-" + re.sub(r"[^a-z0-9]+", "-", _base_name(region).lower()).strip("-")


def make_profile(region: Region, seed: int) -> Profile:
    r = _rng(seed, "profile", region.code)
    layout = "template" if r.random() < 0.7 else "homemade"
    homemade = layout == "homemade"
    yes, no = r.choice(
        [("Ya", "Tidak"), ("Ya", "Tidak"), ("Ya", None), ("✓", None), ("Y", "N"), ("YA", "TIDAK")]
    )
    opd_style = r.choice(["full", "full", "abbr"])
    # Its own stream, so that the sample's other choices stay as they were before version 2.
    version = "2" if layout == "template" and _rng(seed, "version", region.code).random() < 0.6 else "1"
    return Profile(
        version=version,
        layout=layout,
        naming=r.randrange(3),
        code_style=r.choice(["dim", "dim", "seq", "dotted", "region"]),
        opd_style=opd_style,
        opd_sep="; " if opd_style == "full" or r.random() < 0.6 else ", ",
        region_style=r.choices(["dotted", "digits", "number"], [0.75, 0.2, 0.05 if homemade else 0.0])[0],
        name_style="official"
        if "Administrasi" in region.name
        else r.choice(["official", "official", "kab", "upper"]),
        date_style=r.choice(["id", "id", "iso", "dmy", "excel"]),
        yes=yes,
        no=no,
        money_style=r.choice(["number", "number", "rp", "mixed"]),
        pct_style=r.choice(["number", "number", "text", "fraction"]),
        index_text=r.random() < 0.4,
        title_rows=r.randint(1, 3) if homemade else 1,
        no_column=homemade and r.random() < 0.8,
        blank_rows=homemade and r.random() < 0.4,
        total_row=homemade and r.random() < 0.5,
        optional_cols=not homemade or r.random() < 0.7,
        name_in_realisasi=homemade and r.random() < 0.6,
        header_case=r.choice(["title", "upper", "lower"]) if homemade else "lower",
        version_number=homemade and r.random() < 0.5,
        email_box=r.choice(["diskominfo", "kominfo", "smartcity", "diskominfo"]),
    )


def _opd_names(keys: Iterable[str], region: Region, profile: Profile) -> tuple[str, ...]:
    out = []
    for key in keys:
        full, abbr = (KOTA_OPDS if region.type == "kota" else {}).get(key, OPDS[key])
        out.append(abbr if profile.opd_style == "abbr" else full)
    return tuple(dict.fromkeys(out))


def _program_code(
    style: str, region: Region, dimension: str, element: str, index: int, in_dim: int, in_el: int
) -> str:
    tax = contract.taxonomy()
    if style == "dim":
        return f"{DIMENSION_PREFIX[dimension]}-{in_dim:02d}"
    if style == "seq":
        return f"SC-{index:03d}"
    if style == "dotted":
        d = tax.dimensions.index(dimension) + 1
        e = tax.elements_by_dimension[dimension].index(element) + 1
        return f"P.{d}.{e}.{in_el:02d}"
    return f"{region.code.replace('.', '')}-{index:03d}"


def next_code(mp: Masterplan, profile: Profile, dimension: str, element: str, extra: int = 0) -> str:
    """A new program code in the masterplan's style, not yet used by it."""
    used = {p.code for p in mp.programs}
    in_dim = sum(p.dimension == dimension for p in mp.programs)
    in_el = sum(p.element == element for p in mp.programs)
    n = len(mp.programs)
    k = 1 + extra
    while True:
        code = _program_code(profile.code_style, mp.region, dimension, element, n + k, in_dim + k, in_el + k)
        if code not in used:
            return code
        k += 1


def _round_money(millions: float) -> int:
    step = 5 if millions < 1000 else 25
    return int(max(step, round(millions / step) * step)) * 1_000_000


def _target(idea: Idea, r: random.Random) -> float:
    lo, hi = idea.target
    if hi <= 5:
        return round(r.uniform(lo, hi) * 2) / 2
    value = r.uniform(lo, hi)
    if idea.unit == "%" or hi <= 200:
        return int(round(value))
    magnitude = 10 ** max(0, int(math.log10(value)) - 1)
    return int(round(value / magnitude) * magnitude)


def _sources(idea: Idea, r: random.Random) -> tuple[str, ...]:
    x = r.random()
    if idea.scale == "XL" and x < 0.3:
        return ("APBD Kab/Kota", "KPBU")
    if x < 0.62:
        return ("APBD Kab/Kota",)
    if x < 0.75:
        return ("APBD Kab/Kota", "APBN")
    if x < 0.85:
        return ("APBD Kab/Kota", "APBD Provinsi")
    if x < 0.93:
        return ("APBD Kab/Kota", "CSR")
    if x < 0.97:
        return ("APBN", "Hibah")
    return ("Lainnya",)


def make_masterplan(
    region: Region,
    profile: Profile,
    r: random.Random,
    *,
    n_programs: int,
    period: tuple[int, int],
) -> Masterplan:
    """A valid masterplan: every element covered, exactly one quick win per dimension."""
    start, end = period
    tax = contract.taxonomy()
    pools = {key: list(ideas) for key, ideas in IDEAS.items()}
    for pool in pools.values():
        r.shuffle(pool)
    picks: list[tuple[str, str, Idea]] = []
    for (dim, el), pool in pools.items():  # one per element first
        picks.append((dim, el, pool.pop()))
    weights = {"Smart Governance": 1.6, "Smart Living": 1.3, "Smart Society": 1.1}
    keys = list(pools)
    while len(picks) < n_programs:
        dim, el = r.choices(keys, [weights.get(k[0], 1.0) for k in keys])[0]
        if pools[(dim, el)]:
            picks.append((dim, el, pools[(dim, el)].pop()))
        else:  # the ideas of this element are used up: a second phase of one of them
            base = next(i for d, e, i in picks if (d, e) == (dim, el))
            picks.append(
                (
                    dim,
                    el,
                    replace(
                        base,
                        name=f"{base.name} Tahap {1 + sum(p[2].name.startswith(base.name) for p in picks)}",
                    ),
                )
            )
    order = {
        (d, e): (i, j)
        for i, d in enumerate(tax.dimensions)
        for j, e in enumerate(tax.elements_by_dimension[d])
    }
    picks.sort(key=lambda p: order[(p[0], p[1])])

    quick = {}
    for dim in tax.dimensions:
        candidates = [i for i, p in enumerate(picks) if p[0] == dim]
        small = [i for i in candidates if picks[i][2].scale == "S"]
        quick[dim] = r.choice(small or candidates)

    programs: list[Program] = []
    per_dim: Counter[str] = Counter()
    per_el: Counter[str] = Counter()
    span = end - start
    for index, (dim, el, idea) in enumerate(picks, 1):
        per_dim[dim] += 1
        per_el[el] += 1
        code = _program_code(profile.code_style, region, dim, el, index, per_dim[dim], per_el[el])
        is_qw = quick[dim] == index - 1
        if is_qw:
            p_start = start + r.choice([0, 0, 1])
            p_end = min(end, p_start + r.choice([0, 1, 1]))
            budget = _round_money(r.uniform(75, 600))
        else:
            p_start = start + min(span, int(r.triangular(0, min(5, span), 0)))
            p_end = min(end, p_start + r.randint(1, 6))
            lo, hi = BUDGET_SCALES[idea.scale]
            budget = _round_money(math.exp(r.uniform(math.log(lo), math.log(hi))))
        opd_keys = list(idea.opds[: r.randint(1, len(idea.opds))])
        if r.random() < 0.15 and "kominfo" not in opd_keys:
            opd_keys.append("kominfo")
        programs.append(
            Program(
                code=code,
                name=idea.name,
                dimension=dim,
                element=el,
                opds=_opd_names(opd_keys, region, profile),
                start=p_start,
                end=max(p_start, p_end),
                quick_win=is_qw,
                budget=None if r.random() < 0.04 else budget,
                sources=_sources(idea, r),
                indicator=idea.indicator,
                target=_target(idea, r),
                unit=idea.unit,
            )
        )
    doc_date = (
        dt.date(start - 1, r.randint(6, 12), r.randint(1, 28))
        if r.random() < 0.6
        else dt.date(start, r.randint(1, 6), r.randint(1, 28))
    )
    head = "Perbup" if region.type == "kabupaten" else "Perwal"
    number = r.choice(
        [
            f"{head} No. {r.randint(5, 90)} Tahun {doc_date.year}",
            f"Peraturan {'Bupati' if region.type == 'kabupaten' else 'Wali Kota'} Nomor {r.randint(5, 90)} Tahun {doc_date.year}",
            f"050/{r.randint(100, 2999)}/Bappeda/{doc_date.year}",
            None,
        ]
    )
    return Masterplan(
        region, start, end, doc_date, number, f"{profile.email_box}@{_domain(region)}", programs
    )


def revise_masterplan(mp: Masterplan, profile: Profile, r: random.Random, *, date: dt.date) -> Masterplan:
    """A revision: same period and program codes (evaluations keep referring to them), some
    budgets and agencies changed, a few new programs starting after the evaluated years."""
    programs = [replace(p) for p in mp.programs]
    for p in r.sample([p for p in programs if not p.quick_win and p.budget], 4):
        p.budget = _round_money(p.budget / 1e6 * r.uniform(1.1, 1.6))
    for p in r.sample([p for p in programs if not p.quick_win], 2):
        p.opds = tuple(dict.fromkeys(p.opds + _opd_names(["bappeda"], mp.region, profile)))
    revised = replace(mp, programs=programs, date=date)
    head = "Perbup" if mp.region.type == "kabupaten" else "Perwal"
    revised.number = (
        f"{head} No. {r.randint(5, 90)} Tahun {date.year} tentang Perubahan Masterplan Smart City"
    )
    first_new = max(date.year + 2, mp.start)
    new_ideas = [
        ("Smart Governance", "Layanan Publik", "Layanan Publik Berbasis Kecerdasan Artifisial", "chatbot"),
        ("Smart Living", "Mobilitas", "Integrasi Transportasi Umum Antarmoda", "koridor"),
        ("Smart Environment", "Pengelolaan Energi", "Stasiun Pengisian Kendaraan Listrik Umum", "unit"),
    ]
    for k, (dim, el, name, unit) in enumerate(new_ideas):
        if first_new > mp.end:
            break
        code = next_code(revised, profile, dim, el)
        revised.programs.append(
            Program(
                code,
                name,
                dim,
                el,
                _opd_names(["kominfo"], mp.region, profile),
                min(mp.end, first_new + k % 2),
                mp.end,
                False,
                _round_money(r.uniform(800, 6000)),
                ("APBD Kab/Kota",),
                f"Jumlah {name.lower()}",
                r.randint(2, 20),
                unit,
            )
        )
    return revised


def _trajectory(p: Program, seed: int, region: Region, year: int) -> tuple[str, int]:
    """(status, progress) of a program in a year; consistent from one year to the next."""
    r = _rng(seed, "trajectory", region.code, p.code, p.name)
    speed = r.uniform(0.75, 1.2)
    fate = r.choices(["normal", "late", "delayed", "cancelled"], [0.85, 0.05, 0.06, 0.04])[0]
    duration = p.end - p.start + 1
    pivot = p.start + r.randrange(duration)

    def plain(y: int, shift: int = 0) -> int:
        done = y - p.start + 1 - shift
        if done <= 0:
            return 0
        if y >= p.end and speed >= 0.95:
            return 100
        return max(5, min(100, round(100 * speed * done / duration)))

    if fate == "late":
        value = plain(year, 1)
    elif fate == "delayed" and year == pivot:
        return "Tertunda", plain(year - 1)
    elif fate == "delayed" and year > pivot:
        value = plain(year, 1)
    elif fate == "cancelled" and year >= pivot:
        return "Dibatalkan", plain(pivot - 1)
    else:
        value = plain(year)
    if value >= 100:
        return "Selesai", 100
    if value <= 0:
        return "Belum Dimulai", 0
    return "Berjalan", value


def make_evaluation(
    mp: Masterplan,
    profile: Profile,
    r: random.Random,
    *,
    year: int,
    seed: int,
    with_index: bool,
    date: dt.date | None = None,
) -> Evaluation:
    rows: list[Realisation] = []
    for p in mp.programs:
        if not (p.start <= year <= p.end):
            continue
        status, progress = _trajectory(p, seed, mp.region, year)
        if p.budget is None or status in ("Belum Dimulai", "Dibatalkan"):
            spent = 0 if status == "Belum Dimulai" and r.random() < 0.5 else None
        else:
            share = r.uniform(0.55, 1.1) if status != "Tertunda" else r.uniform(0.05, 0.3)
            spent = _round_money(p.budget / 1e6 / (p.end - p.start + 1) * share)
        achieved = None
        if p.target is not None and r.random() < 0.8:
            achieved = round(p.target * progress / 100, 1 if p.target <= 5 else 0)
            achieved = int(achieved) if float(achieved).is_integer() else achieved
        remark = r.choice(REMARKS) if r.random() < 0.25 else None
        rows.append(Realisation(p.code, p.name, status, progress, spent, achieved, remark))
    level = r.uniform(1.8, 3.6) + 0.25 * (year - 2023)
    readiness: list[tuple[str, str, float, str | None]] = []
    head = "Bupati" if mp.region.type == "kabupaten" else "Wali Kota"
    evidence = [
        f"https://{_domain(mp.region)}/smartcity/bukti-{year}.pdf",
        f"SK {head} tentang Dewan Smart City",
        f"Laporan Tahunan Diskominfo {year}",
        mp.number or f"Masterplan Smart City {mp.start}-{mp.end}",
        None,
    ]
    for pillar, indicators in READINESS_INDICATORS.items():
        for indicator in r.sample(indicators, r.randint(2, len(indicators))):
            score = max(1.0, min(5.0, round(level + r.uniform(-1, 1))))
            if r.random() < 0.08:
                score = min(5.0, score + 0.5)
            readiness.append((pillar, indicator, score, r.choice(evidence)))
    index = None
    if with_index:
        base = r.uniform(2.2, 3.8)
        values = [
            (a, round(max(0.5, min(5.0, base + r.uniform(-0.7, 0.7))), 2))
            for a in contract.evaluation_aspects()
            if a != "Total"
        ]
        components = [v for a, v in values[:5]]
        index = values + [("Total", round(sum(components) / len(components), 2))]
    if date is None:
        date = dt.date(year, r.randint(9, 12), r.randint(1, 28))
    number = r.choice([f"400.14.5/{r.randint(100, 999)}/Diskominfo/{year}", None, None])
    return Evaluation(mp.region, year, date, number, mp.email, rows, readiness, index)


# ---------------------------------------------------------------------------------------
# rendering: documents -> sheets, with the variety the contract allows


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _money(value: int | None, profile: Profile, r: random.Random) -> Any:
    if value is None:
        return r.choice([None, "-"])
    style = profile.money_style
    if style == "mixed":
        style = r.choice(["number", "rp", "rp", "short", "decimal"])
    if style == "number":
        return value
    if style == "short":
        if value >= 1_000_000_000 and value % 10_000_000 == 0:
            text = f"{value / 1e9:.2f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{text} M"
        if value < 1_000_000_000 and value % 1_000_000 == 0:
            return f"{value // 1_000_000} jt"
        style = "rp"
    if style == "decimal":
        return f"{_thousands(value)},00"
    return f"Rp {_thousands(value)}"


def _percent(value: int, profile: Profile, r: random.Random) -> Any:
    if profile.pct_style == "text":
        return f"{value}%"
    if profile.pct_style == "fraction":
        return Cell(value / 100, number_format="0%")
    return value


def _date(value: dt.date, profile: Profile) -> Any:
    if profile.date_style == "id":
        return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"
    if profile.date_style == "iso":
        return value.isoformat()
    if profile.date_style == "dmy":
        return value.strftime("%d/%m/%Y")
    return Cell(value, number_format="dd/mm/yyyy")


def _identity(kind: str, region: Region, profile: Profile, **values: Any) -> dict[str, Any]:
    code: Any = region.code
    if profile.region_style == "digits":
        code = region.code.replace(".", "")
    elif profile.region_style == "number":
        code = int(region.code.replace(".", ""))
    name = region.name
    if profile.name_style == "kab" and region.type == "kabupaten":
        name = f"Kab. {_base_name(region)}"
    elif profile.name_style == "upper":
        name = name.upper()
    out: dict[str, Any] = {
        "jenis_dokumen": kind,
        "versi_template": 1 if profile.version_number else profile.version,
        "kode_wilayah": code,
        "nama_wilayah": name,
    }
    out.update(values)
    return out


def _display(name: str, profile: Profile) -> str:
    special = {
        "anggaran_rp": "Anggaran (Rp)",
        "realisasi_anggaran_rp": "Realisasi Anggaran (Rp)",
        "opd_penanggung_jawab": "OPD Penanggung Jawab",
        "progres_persen": "Progres Persen",
        "no": "No",
    }
    if profile.header_case == "lower" and name != "no":
        return name
    text = special.get(name, name.replace("_", " ").title())
    return text.upper() if profile.header_case == "upper" else text


def _homemade_sheet(
    name: str,
    titles: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    profile: Profile,
    *,
    numbered: bool,
    group_breaks: Sequence[int] = (),
    total: Sequence[Any] | None = None,
) -> SheetSpec:
    """A regency's own layout: several title rows, a blank row, a `No` column, blank rows
    between groups, a total row."""
    cols = (["no"] if numbered else []) + list(columns)
    out: list[list[Any]] = [[Cell(t, "title" if i == 0 else "bold")] for i, t in enumerate(titles)]
    out.append([])
    out.append([Cell(_display(c, profile), "table_header") for c in cols])
    header_row = len(out)
    for i, row in enumerate(rows):
        if i in group_breaks:
            out.append([])
        out.append(([i + 1] if numbered else []) + list(row))
    if total is not None:
        out.append(([None] if numbered else []) + list(total))
    last = column_letter(len(cols))
    widths = {i: min(44.0, max(6.0, len(_display(c, profile)) + 4.0)) for i, c in enumerate(cols, 1)}
    return SheetSpec(
        name,
        rows=out,
        widths=widths,
        merges=[f"A{i}:{last}{i}" for i in range(1, len(titles) + 1)],
        freeze=f"A{header_row + 1}",
    )


def _program_values(mp: Masterplan, profile: Profile, r: random.Random) -> list[list[Any]]:
    rows = []
    for p in mp.programs:
        rows.append(
            [
                p.code,
                p.name,
                p.dimension,
                p.element,
                profile.opd_sep.join(p.opds),
                p.start,
                p.end,
                profile.yes if p.quick_win else profile.no,
                _money(p.budget, profile, r),
                ", ".join(p.sources) if p.sources else None,
                p.indicator,
                p.target,
                p.unit,
            ]
        )
    return rows


def year_amounts(p: Program) -> dict[int, int]:
    """A program's budget split over its years in whole millions, the rest in its last year."""
    if p.budget is None:
        return {}
    years = list(range(p.start, p.end + 1))
    each = p.budget // len(years) // 1_000_000 * 1_000_000
    out = dict.fromkeys(years, each)
    out[years[-1]] += p.budget - each * len(years)
    return out


def _milestones(mp: Masterplan) -> dict[str, Any]:
    """Version 2's optional Identitas milestones, as a regency fills them (some left empty)."""
    r = random.Random(f"milestones|{mp.region.code}|{mp.date.isoformat()}")
    adopted = mp.date + dt.timedelta(days=r.randint(0, 60))
    out: dict[str, Any] = {
        "tanggal_penetapan": adopted if r.random() < 0.8 else None,
        "dasar_hukum": mp.number
        if mp.number and mp.number.startswith(("Perbup", "Perwal", "Peraturan"))
        else None,
        "tahap_bimtek": r.choice(["I", "II", "III", "IV", "Selesai", "Selesai", "4", None]),
        "tanggal_nota_kesepakatan": mp.date - dt.timedelta(days=r.randint(200, 500))
        if r.random() < 0.7
        else None,
    }
    earliest, latest = dt.date.fromisoformat(contract.EARLIEST_DATE), settings.today()
    return {k: None if isinstance(v, dt.date) and not earliest <= v <= latest else v for k, v in out.items()}


def render_masterplan(mp: Masterplan, profile: Profile, r: random.Random) -> list[SheetSpec]:
    identity = _identity(
        MASTERPLAN,
        mp.region,
        profile,
        periode_mulai=mp.start,
        periode_selesai=mp.end,
        tanggal_dokumen=_date(mp.date, profile),
        nomor_dokumen=mp.number,
        email_kontak=mp.email,
    )
    rows = _program_values(mp, profile, r)
    if profile.layout == "template":
        years: list[int] = []
        if profile.version == "2":
            identity.update(
                {k: _date(v, profile) if isinstance(v, dt.date) else v for k, v in _milestones(mp).items()}
            )
            years = list(range(mp.start, mp.end + 1))
            budget_column = contract.PROGRAM.column_names.index("anggaran_rp")
            r2 = random.Random(f"years|{mp.region.code}|{mp.date.isoformat()}")
            for row, p in zip(rows, mp.programs, strict=True):
                amounts = year_amounts(p)
                row.extend(_money(amounts[y], profile, r2) if y in amounts else None for y in years)
                if amounts and r2.random() < 0.3:  # the total left to be the years' sum
                    row[budget_column] = None
        return template_sheets(
            mp.region.code,
            MASTERPLAN,
            identity=identity,
            data={"Program": rows},
            version=profile.version,
            budget_years=years,
        )
    columns = contract.PROGRAM.column_names
    if not profile.optional_cols:
        columns = columns[:-3]
        rows = [row[:-3] for row in rows]
    breaks = [
        i for i in range(1, len(mp.programs)) if mp.programs[i].dimension != mp.programs[i - 1].dimension
    ]
    total = None
    if profile.total_row:
        total = [None] * len(columns)
        total[columns.index("nama_program")] = "Jumlah"
        total[columns.index("anggaran_rp")] = sum(p.budget or 0 for p in mp.programs)
    titles = ["RENCANA INDUK (MASTERPLAN) SMART CITY", mp.region.name.upper(), f"TAHUN {mp.start} - {mp.end}"]
    return [
        identity_sheet(MASTERPLAN, identity, guidance=False),
        _homemade_sheet(
            "Program",
            titles[: profile.title_rows],
            columns,
            rows,
            profile,
            numbered=profile.no_column,
            group_breaks=breaks if profile.blank_rows else (),
            total=total,
        ),
    ]


def render_evaluation(ev: Evaluation, profile: Profile, r: random.Random) -> list[SheetSpec]:
    identity = _identity(
        EVALUASI,
        ev.region,
        profile,
        tahun_evaluasi=ev.year,
        tanggal_dokumen=_date(ev.date, profile),
        nomor_dokumen=ev.number,
        email_kontak=ev.email,
    )
    real = [
        [
            x.code,
            x.status,
            _percent(x.progress, profile, r),
            _money(x.spent, profile, r) if x.spent is not None else None,
            x.achieved,
            x.remark,
        ]
        for x in ev.realisations
    ]
    ready = [
        [
            pillar,
            indicator,
            (f"{score:.1f}".replace(".", ",") if not float(score).is_integer() else int(score)),
            evidence,
        ]
        for pillar, indicator, score, evidence in ev.readiness
    ]
    index = [
        [aspect, f"{value:.2f}".replace(".", ",") if profile.index_text else value]
        for aspect, value in ev.index or []
    ]
    if profile.layout == "template":
        return template_sheets(
            ev.region.code,
            EVALUASI,
            identity=identity,
            year=ev.year,
            data={"Realisasi": real, "Kesiapan": ready, "Indeks": index},
            version=profile.version,
        )
    upper = ev.region.name.upper()
    columns = contract.REALISASI.column_names
    if profile.name_in_realisasi:  # an extra column for readability
        columns = columns[:1] + ["nama_program"] + columns[1:]
        real = [row[:1] + [x.name] + row[1:] for row, x in zip(real, ev.realisations, strict=True)]
    sheets = [
        identity_sheet(EVALUASI, identity, guidance=False),
        _homemade_sheet(
            "Realisasi",
            [f"REALISASI PROGRAM SMART CITY TAHUN {ev.year}", upper][: profile.title_rows],
            columns,
            real,
            profile,
            numbered=profile.no_column,
        ),
        _homemade_sheet(
            "Kesiapan",
            ["PENILAIAN MANDIRI KESIAPAN SMART CITY", upper][: profile.title_rows],
            contract.KESIAPAN.column_names,
            ready,
            profile,
            numbered=profile.no_column,
        ),
    ]
    if index:
        sheets.append(
            _homemade_sheet(
                "Indeks",
                [f"HASIL EVALUASI SMART CITY {ev.year}"],
                contract.INDEKS.column_names,
                index,
                profile,
                numbered=False,
            )
        )
    return sheets


def masterplan_csv(mp: Masterplan) -> bytes:
    """The program list as a semicolon CSV (what 'Save As CSV' gives): not a workbook."""
    lines = [
        "No;Kode Program;Nama Program;Dimensi;Elemen;OPD Penanggung Jawab;Tahun Mulai;Tahun Selesai;Quick Win;Anggaran"
    ]
    for i, p in enumerate(mp.programs, 1):
        lines.append(
            f"{i};{p.code};{p.name};{p.dimension};{p.element};{', '.join(p.opds)};{p.start};{p.end};"
            f"{'Ya' if p.quick_win else 'Tidak'};{p.budget or ''}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def _file_name(region: Region, profile: Profile, kind: str, label: str, suffix: str = "") -> str:
    if profile.naming == 0:
        name = region.name.replace(" ", "_")
        stem = (
            f"Masterplan_Smart_City_{name}_{label}"
            if kind == MASTERPLAN
            else f"Evaluasi_Smart_City_{label}_{name}"
        )
        return f"{stem}{'_' + suffix if suffix else ''}.xlsx"
    if profile.naming == 1:
        what = "RENCANA INDUK SMART CITY" if kind == MASTERPLAN else "EVALUASI SMART CITY"
        return f"{what} {region.name.upper()} {label}{' ' + suffix.upper() if suffix else ''}.xlsx"
    what = "masterplan" if kind == MASTERPLAN else "evaluasi"
    return f"{region.code}_{what}_{label}{'_' + suffix.lower() if suffix else ''}.xlsx"


# ---------------------------------------------------------------------------------------
# planning a landing zone


@dataclass(frozen=True)
class Expected:
    """What the pipeline must decide for one file of a generated landing zone."""

    path: str  # relative to the landing zone, '/'-separated
    folder: str  # the folder the file is in
    region_code: str | None  # the sender: the folder's region code (None: the folder is not one)
    kind: str | None  # MASTERPLAN / EVALUASI; None when the file is not a workbook
    period: str | None  # "2022-2031" for a masterplan, "2024" for an evaluation
    accepted: bool
    rule: str | None = None  # for a rejected file: the ERROR rule it must get
    superseded: bool = False  # accepted, but a newer accepted file of the same kind and period exists
    description: str = ""


@dataclass
class PlannedFile:
    expected: Expected
    build: Callable[[], bytes] = field(repr=False)
    uploaded: dt.datetime | None = None  # when the regency uploads it (UTC): the file's mtime


def upload_time(document_date: dt.date, path: str) -> dt.datetime:
    """A plausible upload: 1 to 21 days after the document's date (one in five takes 5 to 10
    weeks: signatures, a revision), in Jakarta office hours (UTC)."""
    r = random.Random(f"upload|{path}")
    day = document_date + dt.timedelta(days=r.randint(35, 70) if r.random() < 0.2 else r.randint(1, 21))
    return dt.datetime(day.year, day.month, day.day, r.randint(1, 9), r.randint(0, 59))


@dataclass(frozen=True)
class SampleSummary:
    province: str
    regencies: int
    with_masterplan: int  # regencies with an accepted masterplan
    files: int
    accepted: int
    rejected: int
    rules: dict[str, int]


def _period_options(years: Sequence[int]) -> list[tuple[int, int]]:
    lo, hi = min(years), max(years)
    ok = [p for p in PERIODS if p[0] <= lo and p[1] > hi]
    return ok or [(lo - 1, max(hi + 2, lo + 8))]


def _workbook(sheets_fn: Callable[[], list[SheetSpec]], title: str) -> Callable[[], bytes]:
    return lambda: workbook_bytes(sheets_fn(), title=title, active=0)


def _mp_file(
    folder: str, filename: str, mp: Masterplan, profile: Profile, seed: int, **expect: Any
) -> PlannedFile:
    path = f"{folder}/{filename}"
    expected = Expected(
        path, folder, expect.pop("region_code", mp.region.code), MASTERPLAN, f"{mp.start}-{mp.end}", **expect
    )

    def sheets() -> list[SheetSpec]:
        return render_masterplan(mp, profile, _rng(seed, "render", path))

    return PlannedFile(
        expected, _workbook(sheets, f"Masterplan Smart City {mp.region.name}"), upload_time(mp.date, path)
    )


def _ev_file(
    folder: str, filename: str, ev: Evaluation, profile: Profile, seed: int, **expect: Any
) -> PlannedFile:
    path = f"{folder}/{filename}"
    expected = Expected(path, folder, ev.region.code, EVALUASI, str(ev.year), **expect)

    def sheets() -> list[SheetSpec]:
        return render_evaluation(ev, profile, _rng(seed, "render", path))

    return PlannedFile(
        expected,
        _workbook(sheets, f"Evaluasi Smart City {ev.year} {ev.region.name}"),
        upload_time(ev.date, path),
    )


def _regency_masterplan(
    region: Region, seed: int, years: Sequence[int], programs: tuple[int, int], tag: str = "main"
) -> tuple[Profile, Masterplan]:
    profile = make_profile(region, seed)
    r = _rng(seed, "masterplan", tag, region.code)
    period = r.choice(_period_options(years))
    return profile, make_masterplan(region, profile, r, n_programs=r.randint(*programs), period=period)


def province_regions(province: str) -> list[Region]:
    province = str(province).strip()
    if province not in contract.provinces():
        raise ValueError(f"unknown province code {province!r}")
    return sorted(
        (r for r in contract.regions().values() if r.province_code == province), key=lambda r: r.code
    )


def plan_sample(province: str = "32", seed: int = 0) -> list[PlannedFile]:
    """Every file of the sample landing zone, with its expected outcome (nothing written)."""
    regions = province_regions(province)
    pr = _rng(seed, "province", province)
    n_accepted = min(len(regions), max(1, round(len(regions) * MASTERPLAN_SHARE)))
    accepted = sorted(pr.sample(regions, n_accepted), key=lambda r: r.code)
    without = [r for r in regions if r not in accepted]
    years = SAMPLE_EVALUATION_YEARS
    files: list[PlannedFile] = []

    masterplans: dict[str, Masterplan] = {}
    profiles: dict[str, Profile] = {}
    for region in accepted:
        profile, mp = _regency_masterplan(region, seed, years, (30, 45))
        masterplans[region.code], profiles[region.code] = mp, profile

    # the regency with a revised masterplan needs a period reaching past the evaluated years
    revisable = [r for r in accepted if masterplans[r.code].end >= max(years) + 3] or accepted
    revised_region = pr.choice(revisable)
    others = [r for r in accepted if r is not revised_region] or accepted
    reference_region = pr.choice(others)
    evrevised_region = pr.choice([r for r in others if r is not reference_region] or others)

    for region in accepted:
        code, mp, profile = region.code, masterplans[region.code], profiles[region.code]
        r = _rng(seed, "plan", code)
        label = f"{mp.start}-{mp.end}"
        if region is revised_region:
            rev = revise_masterplan(mp, profile, r, date=dt.date(2024, r.randint(3, 8), r.randint(1, 28)))
            files.append(
                _mp_file(
                    code,
                    _file_name(region, profile, MASTERPLAN, label),
                    mp,
                    profile,
                    seed,
                    accepted=True,
                    superseded=True,
                    description="masterplan, later revised",
                )
            )
            files.append(
                _mp_file(
                    code,
                    _file_name(region, profile, MASTERPLAN, label, "Revisi_2024"),
                    rev,
                    profile,
                    seed,
                    accepted=True,
                    description="revised masterplan (supersedes the first)",
                )
            )
        else:
            files.append(
                _mp_file(
                    code,
                    _file_name(region, profile, MASTERPLAN, label),
                    mp,
                    profile,
                    seed,
                    accepted=True,
                    description="masterplan",
                )
            )
        for year in years:
            if year < mp.start:
                continue
            forced = region is evrevised_region and year == 2024
            if region is reference_region and year == max(years):
                continue  # its latest evaluation is the broken one below
            if not forced and r.random() > {2023: 0.85, 2024: 0.95}.get(year, 0.85):
                continue
            with_index = year < max(years) and r.random() < 0.5
            ev = make_evaluation(
                mp, profile, _rng(seed, "evaluation", code, year), year=year, seed=seed, with_index=with_index
            )
            name = _file_name(region, profile, EVALUASI, str(year))
            if forced:
                files.append(
                    _ev_file(
                        code,
                        name,
                        ev,
                        profile,
                        seed,
                        accepted=True,
                        superseded=True,
                        description="evaluation, later revised",
                    )
                )
                ev2 = make_evaluation(
                    mp,
                    profile,
                    _rng(seed, "evaluation", code, year, "rev"),
                    year=year,
                    seed=seed,
                    with_index=True,
                    date=ev.date + dt.timedelta(days=r.randint(10, 40)),
                )
                files.append(
                    _ev_file(
                        code,
                        _file_name(region, profile, EVALUASI, str(year), "rev1"),
                        ev2,
                        profile,
                        seed,
                        accepted=True,
                        description="revised evaluation (supersedes the first)",
                    )
                )
            else:
                files.append(_ev_file(code, name, ev, profile, seed, accepted=True, description="evaluation"))

    taken = {f.expected.path for f in files}
    files.extend(
        _broken_files(
            province, seed, accepted, without, masterplans, profiles, reference_region, years, taken
        )
    )
    paths = [f.expected.path for f in files]
    assert len(paths) == len(set(paths)), "sample file paths collide"
    return files


def _broken_files(
    province: str,
    seed: int,
    accepted: list[Region],
    without: list[Region],
    masterplans: dict[str, Masterplan],
    profiles: dict[str, Profile],
    reference_region: Region,
    years: Sequence[int],
    taken: set[str],
) -> list[PlannedFile]:
    """The deliberately broken submissions, one mistake each. Broken masterplans go to the
    regencies without an accepted masterplan, so that the accepted ones stay accepted."""
    pr = _rng(seed, "broken", province)
    hosts = without or accepted
    host_iter = iter(hosts * 8)
    out: list[PlannedFile] = []

    def own_masterplan(host: Region) -> tuple[Profile, Masterplan]:
        return _regency_masterplan(host, seed, years, (30, 45), tag=f"broken-{host.code}")

    def pick(mp: Masterplan, r: random.Random, dimension: str | None = None) -> Program:
        # never a quick win (each dimension keeps exactly one); every dimension has >= 2 others
        return r.choice([p for p in mp.programs if not p.quick_win and dimension in (None, p.dimension)])

    def unique(folder: str, filename: str) -> str:
        stem, n = filename[: -len(".xlsx")], 1
        while f"{folder}/{filename}" in taken:
            n += 1
            filename = f"{stem} ({n}).xlsx"
        taken.add(f"{folder}/{filename}")
        return filename

    def masterplan_case(
        rule: str, description: str, mutate: Callable[[Masterplan, random.Random], None]
    ) -> None:
        host = next(host_iter)
        profile, mp = own_masterplan(host)
        r = _rng(seed, "mutate", rule, host.code)
        mutate(mp, r)
        name = unique(host.code, _file_name(host, profile, MASTERPLAN, f"{mp.start}-{mp.end}"))
        out.append(
            _mp_file(host.code, name, mp, profile, seed, accepted=False, rule=rule, description=description)
        )

    def enum(mp: Masterplan, r: random.Random) -> None:
        pick(mp, r, "Smart Society").dimension = "Smart People"

    def required(mp: Masterplan, r: random.Random) -> None:
        pick(mp, r).name = None

    def duplicate(mp: Masterplan, r: random.Random) -> None:
        a, b = r.sample([p for p in mp.programs if not p.quick_win], 2)
        later, earlier = (a, b) if mp.programs.index(a) > mp.programs.index(b) else (b, a)
        later.code = earlier.code

    def period(mp: Masterplan, r: random.Random) -> None:
        p = pick(mp, r)
        p.start = max(p.start, mp.end - 2)
        p.end = mp.end + 2

    masterplan_case("ENUM", "program with dimension 'Smart People'", enum)
    masterplan_case("REQUIRED", "program without nama_program", required)
    masterplan_case("DUPLICATE", "two programs with the same kode_program", duplicate)
    masterplan_case("PERIOD", "program ending after the masterplan period", period)

    # REGION_MISMATCH: another regency's masterplan uploaded into this regency's folder
    host = next(host_iter)
    claimed = pr.choice(
        [r for r in accepted if r is not host] or [r for r in contract.regions().values() if r is not host]
    )
    c_profile, c_mp = _regency_masterplan(claimed, seed, years, (30, 45), tag=f"mismatch-{host.code}")
    name = unique(host.code, _file_name(claimed, c_profile, MASTERPLAN, f"{c_mp.start}-{c_mp.end}"))
    out.append(
        _mp_file(
            host.code,
            name,
            c_mp,
            c_profile,
            seed,
            region_code=host.code,
            accepted=False,
            rule="REGION_MISMATCH",
            description=f"kode_wilayah {claimed.code} in folder {host.code}",
        )
    )

    # FILE_UNREADABLE: a CSV export saved under an .xlsx name
    host = next(host_iter)
    _, csv_mp = own_masterplan(host)
    profile = profiles.get(host.code) or make_profile(host, seed)
    path = f"{host.code}/{unique(host.code, _file_name(host, profile, MASTERPLAN, f'{csv_mp.start}-{csv_mp.end}'))}"
    out.append(
        PlannedFile(
            Expected(
                path,
                host.code,
                host.code,
                None,
                None,
                accepted=False,
                rule="FILE_UNREADABLE",
                description="a CSV file renamed .xlsx",
            ),
            lambda mp=csv_mp: masterplan_csv(mp),
        )
    )

    # UNKNOWN_REGION: a valid masterplan in a folder named after the regency, not its code
    owner = pr.choice(accepted)
    o_profile, o_mp = _regency_masterplan(owner, seed, years, (30, 45), tag="unknown-folder")
    folder = _folder_slug(owner)
    out.append(
        _mp_file(
            folder,
            unique(folder, _file_name(owner, o_profile, MASTERPLAN, f"{o_mp.start}-{o_mp.end}")),
            o_mp,
            o_profile,
            seed,
            region_code=None,
            accepted=False,
            rule="UNKNOWN_REGION",
            description=f"folder '{folder}' is not a region code",
        )
    )

    # REFERENCE: an evaluation citing a program that is not in the masterplan
    mp, profile = masterplans[reference_region.code], profiles[reference_region.code]
    year = max(years)
    ev = make_evaluation(
        mp,
        profile,
        _rng(seed, "evaluation", reference_region.code, year),
        year=year,
        seed=seed,
        with_index=False,
    )
    bogus = next_code(mp, profile, "Smart Living", "Kesehatan", extra=3)
    ev.realisations.append(Realisation(bogus, "Klinik Keliling Digital", "Berjalan", 40, None, None, None))
    name = unique(reference_region.code, _file_name(reference_region, profile, EVALUASI, str(year)))
    out.append(
        _ev_file(
            reference_region.code,
            name,
            ev,
            profile,
            seed,
            accepted=False,
            rule="REFERENCE",
            description=f"Realisasi cites {bogus}, not in the masterplan",
        )
    )
    return out


def sample_expectations(province: str = "32", seed: int = 0) -> dict[str, Expected]:
    """Relative path -> expected outcome, for the zone `write_sample_landing` writes."""
    return {f.expected.path: f.expected for f in plan_sample(province, seed)}


def sample_summary(province: str = "32", seed: int = 0) -> SampleSummary:
    expected = list(sample_expectations(province, seed).values())
    with_mp = {e.region_code for e in expected if e.accepted and e.kind == MASTERPLAN}
    return SampleSummary(
        province=province,
        regencies=len(province_regions(province)),
        with_masterplan=len(with_mp),
        files=len(expected),
        accepted=sum(e.accepted for e in expected),
        rejected=sum(not e.accepted for e in expected),
        rules=dict(Counter(e.rule for e in expected if e.rule)),
    )


def write_sample_landing(out: Path, province: str = "32", seed: int = 0) -> list[Path]:
    """Write the sample landing zone of a province under `out`; returns the files written.

    Every regency of the province gets its folder (`out/32.04/`), also those without files.
    """
    out = Path(out)
    for region in province_regions(province):
        (out / region.code).mkdir(parents=True, exist_ok=True)
    written = []
    for planned in plan_sample(province, seed):
        path = out / planned.expected.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(planned.build())
        if planned.uploaded is not None and planned.uploaded < settings.utcnow():
            # the landing file's modification time is its upload time (contract section 6)
            stamp = planned.uploaded.replace(tzinfo=dt.UTC).timestamp()
            os.utime(path, (stamp, stamp))
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------
# the national benchmark


def _national_regency(args: tuple[str, str, int, tuple[int, int], tuple[int, ...]]) -> list[str]:
    out, code, seed, programs, years = args
    region = contract.regions()[code]
    profile, mp = _regency_masterplan(region, seed, years, programs, tag="national")
    planned = [
        _mp_file(
            code,
            _file_name(region, profile, MASTERPLAN, f"{mp.start}-{mp.end}"),
            mp,
            profile,
            seed,
            accepted=True,
        )
    ]
    for year in years:
        r = _rng(seed, "national-evaluation", code, year)
        ev = make_evaluation(mp, profile, r, year=year, seed=seed, with_index=r.random() < 0.3)
        planned.append(
            _ev_file(code, _file_name(region, profile, EVALUASI, str(year)), ev, profile, seed, accepted=True)
        )
    paths = []
    for p in planned:
        path = Path(out) / p.expected.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(p.build())
        paths.append(str(path))
    return paths


def write_national_landing(
    out: Path,
    seed: int = 0,
    provinces: Sequence[str] | None = None,
    programs: tuple[int, int] = (30, 60),
    evaluation_years: Sequence[int] = (2024, 2025),
    processes: int | None = None,
) -> list[Path]:
    """A valid masterplan (`programs` = min/max number of programs) and one evaluation per
    year for every regency of the given provinces (default: all 514), all valid.

    Regencies are written in parallel (`processes`, default: the CPU count); the output
    does not depend on it.
    """
    codes = sorted(
        r.code
        for r in contract.regions().values()
        if provinces is None or r.province_code in set(map(str, provinces))
    )
    years = tuple(sorted(int(y) for y in evaluation_years))
    tasks = [(str(out), code, seed, (int(programs[0]), int(programs[1])), years) for code in codes]
    processes = processes or os.cpu_count() or 1
    if processes <= 1 or len(tasks) < 8:
        results = [_national_regency(t) for t in tasks]
    else:
        import multiprocessing

        with multiprocessing.get_context("fork" if os.name == "posix" else "spawn").Pool(processes) as pool:
            results = pool.map(_national_regency, tasks, chunksize=max(1, len(tasks) // (processes * 8)))
    return [Path(p) for paths in results for p in paths]


__all__ = [
    "Expected",
    "PlannedFile",
    "SampleSummary",
    "plan_sample",
    "sample_expectations",
    "sample_summary",
    "write_national_landing",
    "write_sample_landing",
]
