@echo off
rem Tham dinh chi tieu TT&TT: cai dat lan dau (.venv), roi danh gia input\ -> output\
setlocal
cd /d "%~dp0"
rem khi ket qua duoc chuyen ra tep, ghi bang UTF-8 cho du dau tieng Viet
set PYTHONIOENCODING=utf-8
if not exist .venv\Scripts\python.exe (
  echo Cai dat lan dau, xin cho vai phut...
  py -3 -m venv .venv || goto :loi
  .venv\Scripts\python -m pip install --quiet -c requirements.lock . || goto :loi
)
.venv\Scripts\python -m pipeline assess --input input --output output %*
echo.
pause
exit /b 0
:loi
echo Khong cai dat duoc. Hay cai Python 3.11 tro len tu python.org roi chay lai.
pause
exit /b 1
